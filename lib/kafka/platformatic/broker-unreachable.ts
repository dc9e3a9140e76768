import { RxKafkaError } from '../../errors';
import { isLostConnection } from './platformatic-errors';
import type { PlatformaticBaseOptions } from './platformatic-options';

/**
 * A connect that failed because no broker answered, as RXK_BROKER_UNREACHABLE (retriable); any other failure
 * as it is.
 */
export function toBrokerUnreachable(error: unknown, base: PlatformaticBaseOptions): unknown {
  if (!isLostConnection(error)) return error;
  return new RxKafkaError(
    'RXK_BROKER_UNREACHABLE',
    `${base.clientId}: no broker answered at ${base.bootstrapBrokers.join(', ')}: check client.brokers ` +
      '(a listener this process can reach) and that the broker is running',
    { cause: error, retriable: true },
  );
}

import { RxKafkaError } from '../errors';
import { toConnectionError } from './connection-events';
import { toConnectionStateValue, type ConnectionSnapshot } from './connection-machine';

/**
 * What a connect() that did not reach a ready state rejects with. `snapshot` is where the machine stopped
 * waiting; `failure` is the last error the connectKafka actor rejected with, if any.
 */
export function toConnectError(
  clientId: string,
  snapshot: ConnectionSnapshot,
  failure: unknown,
): RxKafkaError {
  const reason = snapshot.context.lastError;
  // A failure the adapter recognised (a refused login, a TLS mismatch) is thrown as it is, with its cause.
  if (
    RxKafkaError.isRxKafkaError(failure) &&
    reason?.code === failure.code &&
    reason.message === failure.message
  ) {
    return failure;
  }
  const state = toConnectionStateValue(snapshot.value);
  const failed = snapshot.matches('failed');
  return new RxKafkaError(
    'RXK_NOT_CONNECTED',
    `connection ${clientId} could not connect (state ${state})` +
      (reason ? `: ${reason.name}: ${reason.message}` : ''),
    {
      state,
      // The library's own error, when it is the one the machine gave up on.
      ...(failed && failure !== undefined && reason?.message === toConnectionError(failure).message
        ? { cause: failure }
        : {}),
    },
  );
}

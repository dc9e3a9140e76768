import { RxKafkaError } from '../../errors';
import type { ConnectTarget } from '../connect-failure';
import { toConnectFailure } from './kafkajs-connect-failure';
import { walkCauses } from '../error-chain';

/**
 * The connect steps of one driver's producers and consumers: each failure that points at the configuration
 * (a refused login, a TLS mismatch, brokers nobody answers at) becomes the rxkafka error that says what to
 * check; anything else is rethrown as it is. Remembers what this client has seen of its cluster.
 */
export class ConnectSteps {
  readonly target: ConnectTarget;
  readonly #probe: () => Promise<void>;
  /** A connect succeeded: sockets to the brokers open (kafkajs's connect() asks only ApiVersions). */
  #reached = false;
  /** A broker answered a request past the connect (or with an error response): the listener fits. */
  #answered = false;

  constructor(target: ConnectTarget, probe: () => Promise<void>) {
    this.target = target;
    this.#probe = probe;
  }

  /** A connect of a producer or consumer; until one succeeded, the brokers are probed first. */
  async connect(step: () => Promise<void>): Promise<void> {
    await this.#recognise(async () => {
      if (!this.#reached) await this.#probe();
      await step();
    });
    this.#reached = true;
  }

  /** Any other step (subscribe and run): a failure is recognised, but nothing is probed. */
  async run<T>(step: () => Promise<T>): Promise<T> {
    const result = await this.#recognise(step);
    this.#answered = true;
    return result;
  }

  async #recognise<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      // An error response (a missing topic, say) is an answer in Kafka's protocol, whoever turned it into what.
      if (isErrorResponse(error)) this.#answered = true;
      if (RxKafkaError.isRxKafkaError(error)) throw error;
      throw toConnectFailure(error, this.target, { answered: this.#answered }) ?? error;
    }
  }
}

function isErrorResponse(error: unknown): boolean {
  for (const link of walkCauses(error)) if (link.name === 'KafkaJSProtocolError') return true;
  return false;
}

import { RxKafkaError } from '../../errors';
import { toConnectFailure, type ConnectTarget } from './connect-failure';

/**
 * The connect steps of one driver's producers and consumers: each failure that points at the configuration
 * (a refused login, a TLS mismatch, brokers nobody answers at) becomes the rxkafka error that says what to
 * check; anything else is rethrown as it is. Remembers whether a broker ever answered this client.
 */
export class ConnectSteps {
  readonly target: ConnectTarget;
  readonly #probe: () => Promise<void>;
  #answered = false;

  constructor(target: ConnectTarget, probe: () => Promise<void>) {
    this.target = target;
    this.#probe = probe;
  }

  /** A connect of a producer or consumer; until a broker has answered, the brokers are probed first. */
  connect(step: () => Promise<void>): Promise<void> {
    return this.run(async () => {
      if (!this.#answered) await this.#probe();
      await step();
    });
  }

  /** Any other step (subscribe and run): a failure is recognised, but nothing is probed. */
  async run<T>(step: () => Promise<T>): Promise<T> {
    try {
      const result = await step();
      this.#answered = true;
      return result;
    } catch (error) {
      if (RxKafkaError.isRxKafkaError(error)) throw error;
      throw toConnectFailure(error, this.target, { answered: this.#answered }) ?? error;
    }
  }
}

/**
 * The connect steps of one @platformatic/kafka driver's producers and consumers, as the kafkajs adapter has
 * its own (lib/kafka/kafkajs/connect-steps.ts): until one connect succeeded the brokers are probed first
 * (probe-brokers.ts), and each failure that points at the configuration becomes the rxkafka error that says
 * what to check; anything else is rethrown as it is.
 */
import { RxKafkaError } from '../../errors';
import type { ConnectTarget } from '../connect-failure';
import { toPlatformaticConnectFailure } from './platformatic-connect-failure';

export class ConnectSteps {
  readonly target: ConnectTarget;
  readonly #probe: () => Promise<void>;
  /**
   * A connect succeeded: a broker answered a Metadata request (every connect here asks one), so a closed
   * connection afterwards is a broker going away, not a listener refusing this client.
   */
  #answered = false;

  constructor(target: ConnectTarget, probe: () => Promise<void>) {
    this.target = target;
    this.#probe = probe;
  }

  /** A connect of a producer or consumer. */
  async connect(step: () => Promise<void>): Promise<void> {
    try {
      if (!this.#answered) await this.#probe();
      await step();
    } catch (error) {
      if (RxKafkaError.isRxKafkaError(error)) throw error;
      throw toPlatformaticConnectFailure(error, this.target, { answered: this.#answered }) ?? error;
    }
    this.#answered = true;
  }
}

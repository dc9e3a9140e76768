/**
 * The connect steps of one @platformatic/kafka driver's producers and consumers, as the kafkajs adapter has
 * its own (lib/kafka/kafkajs/connect-steps.ts): until one connect succeeded the brokers are probed first
 * (probe-brokers.ts), and each failure that points at the configuration becomes the rxkafka error that says
 * what to check; anything else is rethrown as it is. Kafka's authorization refusals, at a connect or at a
 * later step, become RXK_NOT_AUTHORIZED (platformatic-authorization.ts), as on kafkajs.
 */
import { RxKafkaError } from '../../errors';
import type { ConnectTarget } from '../connect-failure';
import type { RefusedResources } from '../not-authorized';
import {
  refuseUndescribableTopics,
  toPlatformaticAuthorizationFailure,
  withPlatformaticAuthorization,
} from './platformatic-authorization';
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
      throw (
        toPlatformaticAuthorizationFailure(error, {}, this.target) ??
        toPlatformaticConnectFailure(error, this.target, { answered: this.#answered }) ??
        error
      );
    }
    this.#answered = true;
  }

  /**
   * A step after the connect (a subscription, a send): an authorization refusal becomes RXK_NOT_AUTHORIZED
   * naming the resource, which the connection does not retry (each attempt would be refused alike).
   */
  authorized<T>(step: () => Promise<T>, resources: RefusedResources): Promise<T> {
    return withPlatformaticAuthorization(step, resources, this.target);
  }

  /**
   * Throws RXK_NOT_AUTHORIZED when Kafka refuses to describe some of `topics` (see
   * refuseUndescribableTopics()): the cluster's topic list leaves them out, so they look missing.
   */
  refuseUndescribableTopics(
    topics: readonly string[],
    describe: (topic: string) => Promise<unknown>,
  ): Promise<void> {
    return refuseUndescribableTopics(topics, describe, this.target);
  }
}

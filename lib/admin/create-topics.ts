/**
 * `createTopics()`: the topics a service needs, created once and ready to use. rxkafka never creates topics
 * behind the user's back (NestJS relies on the broker's auto-creation): this is the explicit step.
 */
import { createKafkajsTopics } from '../kafka/kafkajs/kafkajs-topics';
import { resolveCreateTopicsOptions, type CreateTopicsOptions } from './create-topics-options';

/** What `createTopics()` did. */
export interface CreatedTopics {
  /** The topics this call created. */
  readonly created: readonly string[];
  /** The topics that existed already, left as they are. */
  readonly existing: readonly string[];
}

/**
 * Creates the topics that do not exist yet and resolves once every partition of every topic named has a
 * leader that serves it, so a server, client or producer started next finds them ready. Calling it again
 * with the same topics is fine: existing topics are left as they are (a warning is logged when one has
 * fewer partitions than asked for; adding partitions is an operator's decision, since it moves keys).
 *
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` for bad input (before any connection), `RXK_BROKER_UNREACHABLE`
 *   (retriable) when no broker answers, `RXK_AUTHENTICATION_FAILED` / `RXK_TLS_FAILED` for a refused login
 *   or a TLS mismatch, `RXK_CREATE_TOPICS_FAILED` when the cluster refuses a topic or a partition gets no
 *   leader within `timeoutMs` (then retriable).
 */
export async function createTopics(options: CreateTopicsOptions): Promise<CreatedTopics> {
  const { topics, kafkaConfig, timeoutMs, logger } = resolveCreateTopicsOptions(options);
  const ensured = await createKafkajsTopics(kafkaConfig, logger, topics, timeoutMs);
  for (const { topic, numPartitions } of topics) {
    const actual = ensured.partitions[topic];
    if (ensured.existing.includes(topic) && actual !== undefined && actual < numPartitions) {
      logger.warn(
        `createTopics: topic ${topic} exists with ${actual} partition(s), fewer than the ${numPartitions} asked ` +
          'for; it was left as it is (adding partitions moves keys to other partitions: do it on purpose, ' +
          'e.g. kafka-topics.sh --alter --partitions).',
        { topic, partitions: actual, numPartitions },
      );
    }
  }
  return Object.freeze({
    created: Object.freeze([...ensured.created]),
    existing: Object.freeze([...ensured.existing]),
  });
}

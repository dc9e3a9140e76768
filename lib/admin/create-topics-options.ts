/** What `createTopics()` takes, and its validation at the door. */
import type { KafkaConfig } from '../kafka/kafkajs/kafkajs-types';
import type { TopicToCreate } from '../kafka/kafkajs/kafkajs-topics';
import { createStreamLogger, toLogger, type Logger } from '../logger';
import { toFrozenCopy } from '../options/frozen-copy';
import {
  checkDuration,
  checkKnownKeys,
  checkMethods,
  checkPositiveInteger,
  checkRootObject,
  describeReceived,
  failOption,
  isObject,
  throwInvalidOption,
} from '../options/option-checks';
import { validateTransportOptions } from '../options/validate-transport-options';

/** One topic for `createTopics()`. */
export interface NewTopic {
  /** The topic's name: letters, digits, `.`, `_` and `-`, at most 249 characters. */
  readonly topic: string;
  /**
   * Its partition count. A request topic needs at least as many as the server members that should share
   * it; a reply topic at least as many as client instances sharing a group. @defaultValue 1
   */
  readonly numPartitions?: number;
  /** Copies of each partition, at most the number of brokers. @defaultValue the broker's `default.replication.factor` */
  readonly replicationFactor?: number;
  /** Kafka topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. @defaultValue none (the broker's defaults) */
  readonly configs?: Readonly<Record<string, string>>;
}

export interface CreateTopicsOptions {
  /** The topics to create; those that exist already are left as they are. */
  readonly topics: readonly NewTopic[];
  /**
   * kafkajs client config (`brokers`, `clientId`, `ssl`, `sasl`, `retry`).
   * @defaultValue `{ brokers: ['localhost:9092'], clientId: 'rxkafka-admin', retry: { retries: 3 } }`: three
   * retries rather than kafkajs's five, so a broker that is not there fails in seconds, not in 12 s
   */
  readonly client?: Partial<KafkaConfig>;
  /** How long to wait, once the topics exist, until every partition has a leader. @defaultValue 30000 */
  readonly timeoutMs?: number;
  /** @defaultValue `createStreamLogger('warn')` */
  readonly logger?: Logger;
}

/** `createTopics()`'s options with defaults applied, validated and frozen. */
export interface ResolvedCreateTopicsOptions {
  readonly topics: readonly TopicToCreate[];
  readonly kafkaConfig: KafkaConfig;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/** A one-off admin call gives up sooner than kafkajs's default of 5 retries (about 12 s on a refused connection). */
const DEFAULT_RETRIES = 3;

const OPTION_KEYS = ['topics', 'client', 'timeoutMs', 'logger'] as const;
const TOPIC_KEYS = ['topic', 'numPartitions', 'replicationFactor', 'configs'] as const;
// Kafka's own rule (org.apache.kafka.common.internals.Topic): legal characters, at most 249 of them.
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const EXAMPLE = "createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] })";

/**
 * Validates `createTopics()`'s options once and resolves them; never writes into `options`.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming the option's path, the value received and the fix.
 */
export function resolveCreateTopicsOptions(options: CreateTopicsOptions): ResolvedCreateTopicsOptions {
  checkRootObject(options, 'CreateTopicsOptions');
  checkKnownKeys('', options, OPTION_KEYS);
  // The same checks as a server's or client's `client` option (brokers, clientId).
  validateTransportOptions({ client: options.client });
  checkDuration('timeoutMs', options.timeoutMs, 'no wait at all');
  checkMethods('logger', options.logger, ['debug', 'info', 'warn', 'error']);
  const client = options.client ?? {};
  return Object.freeze({
    topics: Object.freeze(resolveTopics(options.topics)),
    kafkaConfig: Object.freeze({
      ...toFrozenCopy(client),
      clientId: client.clientId || 'rxkafka-admin',
      retry: toFrozenCopy(client.retry ?? { retries: DEFAULT_RETRIES }),
      brokers: toFrozenCopy(client.brokers ?? ['localhost:9092']),
    }) as KafkaConfig,
    timeoutMs: options.timeoutMs ?? 30_000,
    logger: options.logger ? toLogger(options.logger) : createStreamLogger('warn'),
  });
}

function resolveTopics(topics: unknown): TopicToCreate[] {
  if (!Array.isArray(topics) || topics.length === 0) {
    failOption('topics', 'a non-empty array of { topic, numPartitions? }', topics, `e.g. ${EXAMPLE}`);
  }
  const seen = new Set<string>();
  return topics.map((entry: unknown, index) => {
    const path = `topics[${index}]`;
    if (!isObject(entry)) failOption(path, 'an object { topic, numPartitions? }', entry, `e.g. ${EXAMPLE}`);
    checkKnownKeys(path, entry, TOPIC_KEYS);
    const { topic, numPartitions, replicationFactor, configs } = entry;
    if (typeof topic !== 'string' || !TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
      failOption(
        `${path}.topic`,
        "a topic name of letters, digits, '.', '_' and '-' (1 to 249 of them, not '.' or '..')",
        topic,
        "e.g. topic: 'orders'",
      );
    }
    if (seen.has(topic)) {
      throwInvalidOption(`${path}.topic`, `topic '${topic}' is named twice in topics: name each topic once`);
    }
    seen.add(topic);
    checkPositiveInteger(`${path}.numPartitions`, numPartitions, 3);
    checkPositiveInteger(`${path}.replicationFactor`, replicationFactor, 3);
    return Object.freeze({
      topic,
      numPartitions: (numPartitions as number | undefined) ?? 1,
      replicationFactor: (replicationFactor as number | undefined) ?? -1,
      configs: resolveConfigs(`${path}.configs`, configs),
    });
  });
}

function resolveConfigs(path: string, configs: unknown): Readonly<Record<string, string>> {
  if (configs === undefined) return Object.freeze({});
  if (!isObject(configs))
    failOption(
      path,
      'an object of config name → string value',
      configs,
      "e.g. configs: { 'cleanup.policy': 'compact' }",
    );
  for (const [name, value] of Object.entries(configs)) {
    if (typeof value !== 'string') {
      throwInvalidOption(
        `${path}.${name}`,
        `option ${path}.${name} must be a string (Kafka topic configs are text), got ${describeReceived(value)}: e.g. '${String(value)}'`,
      );
    }
  }
  return toFrozenCopy({ ...(configs as Record<string, string>) });
}

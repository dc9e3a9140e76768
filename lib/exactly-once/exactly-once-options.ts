/** What `processExactlyOnce()` takes, its defaults, and their validation at the door. */
import type { ConsumedRecord } from '../connection/kafka-connection';
import { checkDriver, type DriverOption } from '../options/create-driver';
import type { TransactionCommitted } from './exactly-once-settings';
import type { TransformResult } from './transform-outputs';
import type { ConsumerConfig, KafkaConfig, ProducerConfig } from '../kafka/kafkajs/kafkajs-types';
import { createStreamLogger, type Logger } from '../logger';
import {
  checkBoolean,
  checkKnownKeys,
  checkMethods,
  checkPositiveInteger,
  checkRootObject,
  checkString,
  failOption,
  isObject,
  throwInvalidOption,
} from '../options/option-checks';
import { checkShape } from '../options/check-shape';
import {
  CONSUMER_CONFIG_SHAPE,
  KAFKA_CONFIG_SHAPE,
  PRODUCER_CONFIG_SHAPE,
} from '../options/kafka-config-keys';

export interface ExactlyOnceOptions {
  /** The kafkajs client settings (`brokers`, `clientId`, `ssl`, `sasl`, …). */
  readonly client: KafkaConfig;
  /** The consumer group; its offsets commit inside the transactions. */
  readonly groupId: string;
  /** The input topics (names or patterns). */
  readonly topics: ReadonlyArray<string | RegExp>;
  /**
   * The transactional id prefix: each input partition's producer is `${prefix}-${topic}-${partition}`.
   * Every process of the same pipeline uses the same prefix, and no other pipeline does.
   */
  readonly transactionalIdPrefix: string;
  /** Turns one input record into the records to produce for it, in the same transaction as its offset. */
  readonly transform: (record: ConsumedRecord) => TransformResult;
  /** Where records whose transform fails go, inside the same transaction. Absent: the processor stops. */
  readonly deadLetterTopic?: string;
  /** Input records per transaction at most (a fetched batch is split into chunks). @defaultValue 500 */
  readonly maxBatchRecords?: number;
  /** Partitions processed at once (kafkajs `partitionsConsumedConcurrently`). @defaultValue 16 */
  readonly partitionConcurrency?: number;
  /** Read each new partition from its beginning when the group has no offset for it. @defaultValue false */
  readonly fromBeginning?: boolean;
  /** kafkajs consumer settings (sessionTimeout, …); `groupId` and `readUncommitted: true` are refused. */
  readonly consumer?: Omit<ConsumerConfig, 'groupId'>;
  /** kafkajs producer settings of the transactional producers (`transactionTimeout`, `retry`, …). */
  readonly producer?: ProducerConfig;
  /** First wait after a failed transaction; doubles up to `maxRetryDelayMs`. @defaultValue 100 */
  readonly retryDelayMs?: number;
  /** @defaultValue 5000 */
  readonly maxRetryDelayMs?: number;
  /** Called after each committed transaction. */
  readonly onTransactionCommitted?: (event: TransactionCommitted) => void;
  /** @defaultValue warnings and errors to stderr */
  readonly logger?: Logger;
  /**
   * The Kafka client library: `'kafkajs'` or a KafkaDriver (advanced; specs pass a fake). `'platformatic'` is
   * refused: its adapter has no transactions yet. @defaultValue `'kafkajs'`
   */
  readonly driver?: DriverOption;
}

export interface ResolvedExactlyOnceOptions extends Required<
  Omit<ExactlyOnceOptions, 'deadLetterTopic' | 'consumer' | 'producer' | 'onTransactionCommitted' | 'driver'>
> {
  readonly deadLetterTopic: string | undefined;
  readonly consumer: Omit<ConsumerConfig, 'groupId'>;
  readonly producer: ProducerConfig;
  readonly onTransactionCommitted: ((event: TransactionCommitted) => void) | undefined;
  readonly driver: DriverOption | undefined;
}

export const DEFAULT_EXACTLY_ONCE_OPTIONS = Object.freeze({
  maxBatchRecords: 500,
  partitionConcurrency: 16,
  fromBeginning: false,
  retryDelayMs: 100,
  maxRetryDelayMs: 5_000,
});

const KNOWN_KEYS = [
  'client',
  'groupId',
  'topics',
  'transactionalIdPrefix',
  'transform',
  'deadLetterTopic',
  'maxBatchRecords',
  'partitionConcurrency',
  'fromBeginning',
  'consumer',
  'producer',
  'retryDelayMs',
  'maxRetryDelayMs',
  'onTransactionCommitted',
  'logger',
  'driver',
];

/** Validates `options` (throws RXK_INVALID_OPTIONS naming the option) and returns them frozen, with defaults. */
export function resolveExactlyOnceOptions(options: ExactlyOnceOptions): ResolvedExactlyOnceOptions {
  checkRootObject(options, 'ExactlyOnceOptions');
  checkKnownKeys('', options, KNOWN_KEYS);
  checkDriver('driver', options.driver);
  // A driver object brings its own client; a driver name is built from `client`.
  if (typeof options.driver !== 'object' && !isObject(options.client)) {
    failOption('client', 'an object', options.client, 'e.g. client: { brokers }');
  }
  // Before the brokers: `client.broker` is a typo to name, not a missing `client.brokers`.
  checkShape('client', options.client, KAFKA_CONFIG_SHAPE);
  if (typeof options.driver !== 'object') {
    const brokers: unknown = options.client.brokers;
    if (!(Array.isArray(brokers) && brokers.length > 0) && typeof brokers !== 'function') {
      failOption('client.brokers', 'a non-empty array', brokers, "e.g. brokers: ['localhost:9092']");
    }
  }
  for (const key of ['groupId', 'transactionalIdPrefix'] as const) {
    if (options[key] === undefined) failOption(key, 'a non-empty string', undefined, `give the ${key}`);
    checkString(key, options[key], { nonEmpty: true, fix: `give the ${key}` });
  }
  const topics: unknown = options.topics;
  if (
    !Array.isArray(topics) ||
    topics.length === 0 ||
    !topics.every((topic) => (typeof topic === 'string' && topic.length > 0) || topic instanceof RegExp)
  ) {
    failOption('topics', 'a non-empty array of topic names or RegExps', topics, "e.g. topics: ['orders']");
  }
  if (typeof options.transform !== 'function') {
    failOption('transform', 'a function', options.transform, 'pass (record) => outputs');
  }
  checkString('deadLetterTopic', options.deadLetterTopic, {
    nonEmpty: true,
    fix: 'name a topic, or leave it out',
  });
  checkPositiveInteger('maxBatchRecords', options.maxBatchRecords, 500);
  checkPositiveInteger('partitionConcurrency', options.partitionConcurrency, 16);
  checkPositiveInteger('retryDelayMs', options.retryDelayMs, 100);
  checkPositiveInteger('maxRetryDelayMs', options.maxRetryDelayMs, 5000);
  checkBoolean('fromBeginning', options.fromBeginning);
  checkShape('consumer', options.consumer, CONSUMER_CONFIG_SHAPE);
  checkShape('producer', options.producer, PRODUCER_CONFIG_SHAPE);
  checkMethods('logger', options.logger, ['debug', 'info', 'warn', 'error']);
  if (options.onTransactionCommitted !== undefined && typeof options.onTransactionCommitted !== 'function') {
    failOption(
      'onTransactionCommitted',
      'a function',
      options.onTransactionCommitted,
      'pass a callback or leave it out',
    );
  }
  const consumer: Partial<ConsumerConfig> = { ...(options.consumer ?? {}) };
  if ('groupId' in consumer) {
    throwInvalidOption(
      'consumer.groupId',
      'option consumer.groupId is not taken here: set groupId at the top level',
    );
  }
  if (consumer.readUncommitted === true) {
    throwInvalidOption(
      'consumer.readUncommitted',
      'option consumer.readUncommitted must stay false: exactly-once input is read with read_committed, or aborted records would be processed',
    );
  }
  const resolved: ResolvedExactlyOnceOptions = {
    ...DEFAULT_EXACTLY_ONCE_OPTIONS,
    ...(withoutUndefined(options) as ExactlyOnceOptions),
    topics: Object.freeze([...options.topics]),
    consumer: Object.freeze({ ...consumer, readUncommitted: false }),
    producer: Object.freeze({ ...(options.producer ?? {}) }),
    deadLetterTopic: options.deadLetterTopic,
    onTransactionCommitted: options.onTransactionCommitted,
    driver: options.driver,
    logger: options.logger ?? createStreamLogger('warn'),
  };
  return Object.freeze(resolved);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

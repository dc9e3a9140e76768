import type { DriverOption } from '../options/create-driver';
import type { GroupProtocol } from '../options/group-protocol';
import type { ConsumerConfig, KafkaConfig } from '../kafka/kafkajs/kafkajs-types';
import type { Logger } from '../logger';
import { toFrozenCopy } from '../options/frozen-copy';
import {
  checkBoolean,
  checkDuration,
  checkKnownKeys,
  checkPositiveInteger,
  checkRootObject,
  checkString,
  failOption,
  throwInvalidOption,
} from '../options/option-checks';
import { resolveTransportOptions } from '../options/transport-options';
import { decodeWireValue } from '../wire/parser';
import type { RetryTopicsOptions } from '../handlers/retry-topics-options';
import type { RetrySchedule, RetryTopicRoutes } from '../pipeline/retry-topic-routes';
import { resolveStreamRetryTopics } from './stream-retry-topics';

/** What a decoder gets besides the value: where the record comes from, and its raw key and headers. */
export interface RecordToDecode {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
}

/** Turns a record's raw value into the stream's value; a decoder that throws skips the record. */
export type RecordDecoder<T> = (value: Buffer | null, record: RecordToDecode) => T;

/** Options of `consume()`. */
export interface ConsumeOptions<T = unknown> {
  /**
   * kafkajs client config, as `KafkaClient`'s `client` option takes it (brokers, clientId, ssl, sasl…).
   * @defaultValue `{ brokers: ['localhost:9092'], clientId: 'rxkafka-stream' }`
   */
  client?: Partial<KafkaConfig>;
  /** The consumer group each subscription joins (used as it is: no suffix). */
  groupId: string;
  /** Topics to consume: names or RegExps. */
  topics: ReadonlyArray<string | RegExp>;
  /** Where a group without a committed offset starts. @defaultValue false (at the end) */
  fromBeginning?: boolean;
  /**
   * Records of one partition emitted and not finished yet (their commit() not called) at most: once a
   * partition has that many, its intake stops until one finishes. What the subscriber's operators hold
   * is then at most `bufferSize` × partitions records. @defaultValue 1000
   */
  bufferSize?: number;
  /** Partitions consumed at the same time (kafkajs `partitionsConsumedConcurrently`). @defaultValue 16 */
  partitionConcurrency?: number;
  /**
   * kafkajs consumer config (sessionTimeout, maxBytes…), without `groupId`. @defaultValue
   * `{ maxWaitTimeInMs: 500 }`: a stop waits for the fetch in flight, which waits that long when idle
   */
  consumer?: Omit<Partial<ConsumerConfig>, 'groupId'>;
  /**
   * Decodes each record's value. A decoder that throws does not stall its partition: the record is
   * logged at warn (topic, partition, offset), counted in the report, committed past and not emitted.
   * @defaultValue NestJS's rule (`decodeWireValue`): JSON when the text parses as an object or array, else the text
   */
  decode?: RecordDecoder<T>;
  /** How long drain() waits for emitted records to finish; 0 waits without a deadline. @defaultValue 30000 */
  drainTimeoutMs?: number;
  /** Where the stream and kafkajs log; the report of each stop is logged at info. @defaultValue warnings and errors to stderr */
  logger?: Logger;
  /** The Kafka client library behind the stream: `'kafkajs'`, `'platformatic'`, or a KafkaDriver (a fake one in unit tests). @defaultValue `'kafkajs'` */
  driver?: DriverOption;
  /**
   * `'consumer'`: KIP-848's group protocol (needs `driver: 'platformatic'`); a member joining or leaving moves
   * only the partitions that change owner. @defaultValue `'classic'`
   */
  groupProtocol?: GroupProtocol;
  /**
   * Non-blocking retries, as `@EventPattern`'s `retryTopics` (same fields, same topic names): a record the
   * subscriber gives up on with `record.retry(error)` goes to `<topic>.retry.<delayMs>`, and after the last
   * delay to `<topic>.dlt`. The stream also reads those retry topics and emits each of their records once it
   * is due (`record.attempt` says which run it is), its partition paused until then. Needs topic names (no
   * RegExp) and a driver that can pause partitions (kafkajs). A missing retry or dead-letter topic fails the
   * subscription with RXK_TOPIC_NOT_FOUND, unless `createTopics: true`.
   * @defaultValue none: `record.retry()` rejects
   */
  retryTopics?: RetryTopicsOptions;
}

/** `consume()` options with every default applied, validated and frozen. */
export interface ResolvedConsumeOptions<T> {
  readonly clientId: string;
  readonly groupId: string;
  readonly topics: ReadonlyArray<string | RegExp>;
  readonly fromBeginning: boolean;
  readonly bufferSize: number;
  readonly partitionConcurrency: number;
  readonly kafkaConfig: KafkaConfig;
  readonly consumerConfig: ConsumerConfig;
  readonly decode: RecordDecoder<T>;
  readonly drainTimeoutMs: number;
  readonly logger: Logger;
  readonly driver?: DriverOption;
  readonly groupProtocol?: GroupProtocol;
  /** The stream's retry topics, one schedule per topic it reads (`retryTopics`). */
  readonly retryTopics?: RetryTopicRoutes<RetrySchedule>;
}

/** The defaults of `consume()`, frozen. */
export const DEFAULT_CONSUME_OPTIONS = Object.freeze({
  clientId: 'rxkafka-stream',
  fromBeginning: false,
  bufferSize: 1_000,
  partitionConcurrency: 16,
  drainTimeoutMs: 30_000,
});

const CONSUME_OPTION_KEYS: Record<keyof ConsumeOptions, true> = {
  client: true,
  groupId: true,
  topics: true,
  fromBeginning: true,
  bufferSize: true,
  partitionConcurrency: true,
  consumer: true,
  decode: true,
  drainTimeoutMs: true,
  logger: true,
  driver: true,
  groupProtocol: true,
  retryTopics: true,
};

/**
 * Validates `consume()` options once, at the door, and returns them resolved and frozen; never writes into
 * `options`. @throws RxKafkaError `RXK_INVALID_OPTIONS` naming the option's path, the value and the fix.
 */
export function resolveConsumeOptions<T>(options: ConsumeOptions<T>): ResolvedConsumeOptions<T> {
  checkRootObject(options, 'ConsumeOptions');
  checkKnownKeys('', options, Object.keys(CONSUME_OPTION_KEYS));
  const defaults = DEFAULT_CONSUME_OPTIONS;
  if (options.groupId === undefined) {
    throwInvalidOption('groupId', "option groupId is required: e.g. groupId: 'orders-projector'");
  }
  checkString('groupId', options.groupId, { nonEmpty: true, fix: "e.g. groupId: 'orders-projector'" });
  checkTopics(options.topics);
  checkBoolean('fromBeginning', options.fromBeginning);
  checkPositiveInteger('bufferSize', options.bufferSize, defaults.bufferSize);
  checkPositiveInteger('partitionConcurrency', options.partitionConcurrency, defaults.partitionConcurrency);
  checkDuration('drainTimeoutMs', options.drainTimeoutMs, 'no deadline');
  if (options.decode !== undefined && typeof options.decode !== 'function') {
    failOption(
      'decode',
      'a function (value, record) => decoded',
      options.decode,
      'or leave it out for JSON/text',
    );
  }
  if (options.consumer && 'groupId' in options.consumer) {
    throwInvalidOption(
      'consumer.groupId',
      'option consumer.groupId is not allowed: set groupId at the top level',
    );
  }
  // The shared checks and resolution (brokers, clientId, consumer timeouts, logger, driver) of the
  // transport options, whose paths (`client.brokers`, `consumer.sessionTimeout`) are the same here.
  const transport = resolveTransportOptions(
    {
      client: { ...options.client, clientId: options.client?.clientId || defaults.clientId },
      consumer: { ...options.consumer, groupId: options.groupId },
      logger: options.logger,
      driver: options.driver,
      ...(options.groupProtocol === undefined ? {} : { groupProtocol: options.groupProtocol }),
      postfixId: '',
    },
    '',
  );
  const retryTopics =
    options.retryTopics === undefined
      ? undefined
      : resolveStreamRetryTopics(options.retryTopics, options.topics, transport.groupId);
  return Object.freeze({
    clientId: transport.clientId,
    groupId: transport.groupId,
    topics: toFrozenCopy([...options.topics]),
    fromBeginning: options.fromBeginning ?? defaults.fromBeginning,
    bufferSize: options.bufferSize ?? defaults.bufferSize,
    partitionConcurrency: options.partitionConcurrency ?? defaults.partitionConcurrency,
    kafkaConfig: transport.kafkaConfig,
    consumerConfig: transport.consumerConfig,
    decode: options.decode ?? (decodeWireValue as RecordDecoder<T>),
    drainTimeoutMs: options.drainTimeoutMs ?? defaults.drainTimeoutMs,
    logger: transport.logger,
    ...(transport.driver ? { driver: transport.driver } : {}),
    ...(transport.groupProtocol ? { groupProtocol: transport.groupProtocol } : {}),
    ...(retryTopics ? { retryTopics } : {}),
  });
}

function checkTopics(topics: unknown): void {
  if (
    !Array.isArray(topics) ||
    topics.length === 0 ||
    topics.some((topic) => !(topic instanceof RegExp) && (typeof topic !== 'string' || topic.length === 0))
  ) {
    failOption(
      'topics',
      'a non-empty array of topic names or RegExps',
      topics,
      "e.g. topics: ['orders'] or topics: [/^orders\\./]",
    );
  }
}

import { toDeadLetterTopic } from '../pipeline/dead-letter';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../handlers/retry-policy';
import { toFrozenCopy } from './frozen-copy';
import {
  checkDuration,
  checkKnownKeys,
  checkObject,
  checkPositiveInteger,
  checkRootObject,
  checkString,
  failOption,
  throwInvalidOption,
} from './option-checks';
import { explainMisplacedKey, SERVER_OPTION_KEYS } from './option-keys';
import {
  DEFAULT_TRANSPORT_OPTIONS,
  resolveTransportOptions,
  type KafkaTransportOptions,
  type ResolvedTransportOptions,
} from './transport-options';

/** Options of a `KafkaServer`: NestJS's transport options plus rxkafka's concurrency and shutdown controls. */
export interface KafkaServerOptions extends KafkaTransportOptions {
  /**
   * Partitions processed at the same time (kafkajs `partitionsConsumedConcurrently`). NestJS leaves the
   * kafkajs default of 1, which handles one record at a time across all topics (nestjs/nest#12703).
   * @defaultValue `run.partitionsConsumedConcurrently ?? 16`
   */
  partitionConcurrency?: number;
  /**
   * Order within one partition: `'partition'` handles records one at a time in offset order (NestJS's
   * behaviour); `'key'` runs records with different keys concurrently and keeps order per key.
   * @defaultValue `'partition'`
   */
  ordering?: 'partition' | 'key';
  /** Records of one partition in flight at once when `ordering` is `'key'`. @defaultValue 64 */
  maxInFlightPerPartition?: number;
  /** How long close() waits for in-flight work before abandoning it; 0 waits without a deadline. @defaultValue 30000 */
  drainTimeoutMs?: number;
  /**
   * A handler silent this long (no value, no completion) is cut off with RXK_HANDLER_TIMEOUT: a request gets
   * an error reply, an event is logged and committed. 0 never cuts one off (NestJS's behaviour), and then a
   * handler that never settles holds its partition and, since kafkajs fetches again only when every batch
   * of a fetch is done, every partition led by the same broker. Raise it for handlers that legitimately
   * work longer without emitting. @defaultValue 60000
   */
  handlerTimeoutMs?: number;
  /**
   * A reply to a topic that has not accepted a write from this server yet (an unknown `kafka_replyTopic`,
   * one the server may not write to) is given up after this long: the request is logged and skipped, and
   * the topic's replies are refused at once for the next 10 s. Meanwhile every other partition keeps being
   * fetched and answered. Replies to topics that took writes wait for the producer's own retries.
   * 0 waits for kafkajs to give up (about 12 s for an unknown topic with its default retries).
   * @defaultValue 5000
   */
  replyTimeoutMs?: number;
  /**
   * How a handler that throws `KafkaRetriableException` is run again for the same record.
   * @defaultValue `{ attempts: 3, backoffMs: 200, maxBackoffMs: 5000 }`
   */
  retry?: Partial<RetryPolicy>;
  /**
   * Where an event goes once its handlers failed for good (retries spent, timeout, plain error): `true`
   * for `<topic>.dlt`, or a function naming the topic; `false` only logs and commits it. The dead letter
   * keeps the original key, value and headers and adds `kafka_dlt-*` headers (Spring Kafka's names).
   * Requests are not dead-lettered: their caller gets the error reply. Handlers may override it.
   * @defaultValue false
   */
  deadLetter?: boolean | ((topic: string) => string);
  /** The consumer group and transactions of `@EventPattern(topic, { exactlyOnce: true })` handlers. */
  exactlyOnce?: ServerExactlyOnceOptions;
}

/**
 * Where the server's exactly-once handlers run: a consumer group of their own, whose offsets commit inside
 * the transactions. (Two subscriptions in one group are legal in Kafka, but kafkajs 2.2.4's
 * RoundRobinAssigner deals the partitions of every topic any member subscribed to across all members,
 * whatever each member subscribed to.)
 */
export interface ServerExactlyOnceOptions {
  /** @defaultValue `${groupId}.exactly-once` (the server's resolved groupId) */
  groupId?: string;
  /**
   * Each input partition's producer has the transactional id `${prefix}-${topic}-${partition}`. Every
   * instance of this service uses the same prefix (so a restarted or new owner fences the old one), and
   * no other service does. @defaultValue the exactly-once groupId
   */
  transactionalIdPrefix?: string;
  /** Input records per transaction at most (a fetched batch is split into chunks). @defaultValue 500 */
  maxBatchRecords?: number;
}

/** `ServerExactlyOnceOptions` with its defaults applied. */
export interface ResolvedServerExactlyOnceOptions {
  readonly groupId: string;
  readonly transactionalIdPrefix: string;
  readonly maxBatchRecords: number;
}

/** Server options with every default applied, validated and deep-frozen (see `ResolvedTransportOptions`). */
export interface ResolvedServerOptions extends ResolvedTransportOptions {
  readonly partitionConcurrency: number;
  readonly ordering: 'partition' | 'key';
  readonly maxInFlightPerPartition: number;
  readonly drainTimeoutMs: number;
  readonly handlerTimeoutMs: number;
  readonly replyTimeoutMs: number;
  readonly retry: RetryPolicy;
  readonly deadLetter: false | ((topic: string) => string);
  readonly exactlyOnce: ResolvedServerExactlyOnceOptions;
}

/** The server's defaults, frozen. The logger default is created per server: `createStreamLogger('warn')`. */
export const DEFAULT_SERVER_OPTIONS = toFrozenCopy({
  ...DEFAULT_TRANSPORT_OPTIONS,
  postfixId: '-server',
  partitionConcurrency: 16,
  ordering: 'partition' as const,
  maxInFlightPerPartition: 64,
  drainTimeoutMs: 30_000,
  handlerTimeoutMs: 60_000,
  replyTimeoutMs: 5_000,
  retry: DEFAULT_RETRY_POLICY,
  deadLetter: false,
});

/**
 * Validates server options once, at the door, and returns them resolved and deep-frozen; nothing later
 * checks them again. Never writes into `options`. Pass a NestJS microservice's `options` object as it is.
 *
 * `run.autoCommit: false` is accepted, as in NestJS: rxkafka then never commits, not even after a handler
 * finished, and the handler commits through `context.getConsumer().commitOffsets()`, as NestJS documents for manual commits.
 *
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming the option's path, the value received and the fix.
 */
export function resolveServerOptions(options: KafkaServerOptions = {}): ResolvedServerOptions {
  checkRootObject(options, 'KafkaServerOptions');
  checkKnownKeys('', options, SERVER_OPTION_KEYS, (key) => explainMisplacedKey(key, 'server'));
  const defaults = DEFAULT_SERVER_OPTIONS;
  checkPositiveInteger('partitionConcurrency', options.partitionConcurrency, defaults.partitionConcurrency);
  checkPositiveInteger(
    'maxInFlightPerPartition',
    options.maxInFlightPerPartition,
    defaults.maxInFlightPerPartition,
  );
  checkDuration('drainTimeoutMs', options.drainTimeoutMs, 'no deadline');
  checkDuration('handlerTimeoutMs', options.handlerTimeoutMs, 'no cut-off');
  checkDuration('replyTimeoutMs', options.replyTimeoutMs, "kafkajs's own retries");
  if (options.ordering !== undefined && options.ordering !== 'partition' && options.ordering !== 'key') {
    failOption(
      'ordering',
      "'partition' or 'key'",
      options.ordering,
      "use 'key' to run different keys of a partition concurrently",
    );
  }
  validateRetry(options.retry);
  if (
    options.deadLetter !== undefined &&
    typeof options.deadLetter !== 'boolean' &&
    typeof options.deadLetter !== 'function'
  ) {
    failOption(
      'deadLetter',
      'true, false or a function of the topic',
      options.deadLetter,
      'e.g. deadLetter: (topic) => `${topic}.dlt`',
    );
  }
  const transport = resolveTransportOptions(options, defaults.postfixId);
  const exactlyOnce = resolveExactlyOnce(options.exactlyOnce, transport.groupId);
  const partitionConcurrency = resolvePartitionConcurrency(options);
  return Object.freeze({
    ...transport,
    // The one place both names meet: the server's consumer runs with the resolved value.
    runConfig: Object.freeze({
      ...transport.runConfig,
      partitionsConsumedConcurrently: partitionConcurrency,
    }),
    partitionConcurrency,
    ordering: options.ordering ?? defaults.ordering,
    maxInFlightPerPartition: options.maxInFlightPerPartition ?? defaults.maxInFlightPerPartition,
    drainTimeoutMs: options.drainTimeoutMs ?? defaults.drainTimeoutMs,
    handlerTimeoutMs: options.handlerTimeoutMs ?? defaults.handlerTimeoutMs,
    replyTimeoutMs: options.replyTimeoutMs ?? defaults.replyTimeoutMs,
    retry: Object.freeze({
      attempts: options.retry?.attempts ?? defaults.retry.attempts,
      backoffMs: options.retry?.backoffMs ?? defaults.retry.backoffMs,
      maxBackoffMs: options.retry?.maxBackoffMs ?? defaults.retry.maxBackoffMs,
    }),
    deadLetter: options.deadLetter === true ? toDeadLetterTopic : (options.deadLetter ?? false),
    exactlyOnce,
  });
}

function resolveExactlyOnce(
  options: ServerExactlyOnceOptions | undefined,
  groupId: string,
): ResolvedServerExactlyOnceOptions {
  checkObject('exactlyOnce', options);
  checkKnownKeys('exactlyOnce', options ?? {}, ['groupId', 'transactionalIdPrefix', 'maxBatchRecords']);
  checkString('exactlyOnce.groupId', options?.groupId, {
    nonEmpty: true,
    fix: 'name the group, or leave it out',
  });
  checkString('exactlyOnce.transactionalIdPrefix', options?.transactionalIdPrefix, {
    nonEmpty: true,
    fix: 'give a prefix unique to this service, or leave it out',
  });
  checkPositiveInteger('exactlyOnce.maxBatchRecords', options?.maxBatchRecords, 500);
  const exactlyOnceGroupId = options?.groupId ?? `${groupId}.exactly-once`;
  if (exactlyOnceGroupId === groupId) {
    throwInvalidOption(
      'exactlyOnce.groupId',
      `option exactlyOnce.groupId (${groupId}) must differ from the server's groupId: the exactly-once handlers' topics are consumed by a group of their own`,
    );
  }
  return Object.freeze({
    groupId: exactlyOnceGroupId,
    transactionalIdPrefix: options?.transactionalIdPrefix ?? exactlyOnceGroupId,
    maxBatchRecords: options?.maxBatchRecords ?? 500,
  });
}

function validateRetry(retry: KafkaServerOptions['retry']): void {
  checkObject('retry', retry);
  if (retry === undefined) return;
  checkKnownKeys('retry', retry, Object.keys(DEFAULT_RETRY_POLICY));
  checkPositiveInteger('retry.attempts', retry.attempts, DEFAULT_RETRY_POLICY.attempts);
  checkDuration('retry.backoffMs', retry.backoffMs, 'retrying at once');
  checkDuration('retry.maxBackoffMs', retry.maxBackoffMs, 'retrying at once');
  const backoffMs = retry.backoffMs ?? DEFAULT_RETRY_POLICY.backoffMs;
  const maxBackoffMs = retry.maxBackoffMs ?? DEFAULT_RETRY_POLICY.maxBackoffMs;
  if (backoffMs > maxBackoffMs) {
    throwInvalidOption(
      retry.maxBackoffMs === undefined ? 'retry.backoffMs' : 'retry.maxBackoffMs',
      `option retry.backoffMs (${backoffMs}) must not exceed retry.maxBackoffMs (${maxBackoffMs}` +
        `${retry.maxBackoffMs === undefined ? ', the default' : ''}), which caps every wait: ` +
        `raise retry.maxBackoffMs to at least ${backoffMs} or lower retry.backoffMs`,
    );
  }
}

/** `partitionConcurrency` is rxkafka's name for kafkajs's `run.partitionsConsumedConcurrently`. */
function resolvePartitionConcurrency(options: KafkaServerOptions): number {
  const fromRun = options.run?.partitionsConsumedConcurrently;
  const given = options.partitionConcurrency;
  if (given !== undefined && fromRun !== undefined && given !== fromRun) {
    throwInvalidOption(
      'partitionConcurrency',
      `option partitionConcurrency (${given}) contradicts run.partitionsConsumedConcurrently (${fromRun}); ` +
        'both set how many partitions are processed at once: set only one of them',
    );
  }
  return given ?? fromRun ?? DEFAULT_SERVER_OPTIONS.partitionConcurrency;
}

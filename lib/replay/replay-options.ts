/** What `replay()` takes, and its validation at the door. */
import { randomBytes } from 'node:crypto';
import { checkDriver, type DriverOption } from '../options/create-driver';
import type { FetchedRecord } from '../kafka/kafka-record';
import type { ConsumerConfig, KafkaConfig } from '../kafka/kafkajs/kafkajs-types';
import { createStreamLogger, toLogger, type Logger } from '../logger';
import {
  checkKnownKeys,
  checkMethods,
  checkRootObject,
  checkString,
  failOption,
  isObject,
} from '../options/option-checks';
import { toFrozenCopy } from '../options/frozen-copy';
import { checkShape } from '../options/check-shape';
import { CONSUMER_CONFIG_SHAPE, KAFKA_CONFIG_SHAPE } from '../options/kafka-config-keys';

/**
 * Where a replay starts, per partition: the earliest offset still kept; the first record at or after a
 * time; or given offsets (`{ offsets: { 0: '120', 3: 7 } }`: the next offset to read per partition;
 * partitions not named start at the earliest). An offset outside a partition's kept range is moved into it
 * with a warning.
 */
export type ReplayFrom =
  | 'earliest'
  | { readonly timestamp: number | Date }
  | { readonly offsets: Readonly<Record<number, string | number>> };

/**
 * When a replay ends: `'caught-up'` completes once every partition reached the end offsets captured at
 * start (records written later are not emitted); `'live'` keeps following the topic after that.
 */
export type ReplayUntil = 'caught-up' | 'live';

export interface ReplayOptions<T = unknown> {
  /** @defaultValue 'earliest' */
  readonly from?: ReplayFrom;
  /** @defaultValue 'caught-up' */
  readonly until?: ReplayUntil;
  /** kafkajs client config (`brokers`, `clientId`, `ssl`, `sasl`). @defaultValue `{ brokers: ['localhost:9092'], clientId: 'rxkafka-replay' }` */
  readonly client?: Partial<KafkaConfig>;
  /**
   * kafkajs consumer config except `groupId` (a replay reads in no group of the application's, see
   * `groupIdPrefix`).
   * @defaultValue `{ maxWaitTimeInMs: 500 }`: kafkajs's disconnect waits for the fetch in flight, so a
   * caught-up (live) replay closes within about that long
   */
  readonly consumer?: Omit<Partial<ConsumerConfig>, 'groupId'>;
  /**
   * Decodes a record's value. @defaultValue the server's rules (`decodeWireValue`): JSON when it is a JSON
   * object or array, else the UTF-8 text; `null` for a tombstone
   */
  readonly decode?: (value: Buffer | null, record: FetchedRecord) => T;
  /**
   * Prefix of the throwaway consumer group each read joins on kafkajs (it cannot read without one): a
   * random suffix is added, and the group is deleted when the read ends. Unused on `driver: 'platformatic'`,
   * which reads by offsets without a group. @defaultValue 'rxkafka-replay'
   */
  readonly groupIdPrefix?: string;
  /** @defaultValue `createStreamLogger('warn')` */
  readonly logger?: Logger;
  /** The Kafka client library: `'kafkajs'`, `'platformatic'`, or a KafkaDriver. @defaultValue `'kafkajs'`, built from `client` */
  readonly driver?: DriverOption;
}

/** Replay options with defaults applied, validated and frozen. */
export interface ResolvedReplayOptions<T> {
  readonly from: ResolvedReplayFrom;
  readonly until: ReplayUntil;
  readonly kafkaConfig: KafkaConfig;
  readonly consumerConfig: Omit<Partial<ConsumerConfig>, 'groupId'>;
  readonly decode: ((value: Buffer | null, record: FetchedRecord) => T) | undefined;
  readonly groupIdPrefix: string;
  readonly clientId: string;
  readonly logger: Logger;
  readonly driver: DriverOption | undefined;
}

export type ResolvedReplayFrom =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'timestamp'; readonly timestampMs: number }
  | { readonly kind: 'offsets'; readonly offsets: ReadonlyMap<number, bigint> };

/** The replay's default `consumer.maxWaitTimeInMs`: how long a caught-up fetch waits, and so close() too. */
export const REPLAY_MAX_WAIT_MS = 500;

const REPLAY_OPTION_KEYS = [
  'from',
  'until',
  'client',
  'consumer',
  'decode',
  'groupIdPrefix',
  'logger',
  'driver',
] as const;

/**
 * Validates `replay()`'s topic and options once and resolves them; never writes into `options`.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming the option's path, the value received and the fix.
 */
export function resolveReplayOptions<T>(topic: unknown, options: ReplayOptions<T>): ResolvedReplayOptions<T> {
  if (typeof topic !== 'string' || topic.length === 0) {
    failOption('topic', 'a non-empty string', topic, "pass the topic to read, e.g. replay('orders')");
  }
  checkRootObject(options, 'ReplayOptions');
  checkKnownKeys('', options, REPLAY_OPTION_KEYS);
  const until = options.until ?? 'caught-up';
  if (until !== 'caught-up' && until !== 'live') {
    failOption(
      'until',
      "'caught-up' or 'live'",
      until,
      "use 'caught-up' to stop at the end, 'live' to follow",
    );
  }
  checkShape('client', options.client, KAFKA_CONFIG_SHAPE);
  checkShape('consumer', options.consumer, CONSUMER_CONFIG_SHAPE);
  if (isObject(options.consumer) && 'groupId' in options.consumer) {
    failOption(
      'consumer.groupId',
      'absent',
      options.consumer.groupId,
      "a replay reads outside the application's groups (a throwaway one on kafkajs): use groupIdPrefix",
    );
  }
  if (options.decode !== undefined && typeof options.decode !== 'function') {
    failOption('decode', 'a function', options.decode, 'pass (value, record) => decoded, or leave it out');
  }
  checkString('groupIdPrefix', options.groupIdPrefix, {
    nonEmpty: true,
    fix: "e.g. groupIdPrefix: 'orders-replay'",
  });
  checkMethods('logger', options.logger, ['debug', 'info', 'warn', 'error']);
  checkDriver('driver', options.driver);
  const client = options.client ?? {};
  const clientId = client.clientId || 'rxkafka-replay';
  return Object.freeze({
    from: resolveFrom(options.from),
    until,
    kafkaConfig: Object.freeze({
      ...toFrozenCopy(client),
      // kafkajs writes its authenticationProvider into `sasl` (src/broker/saslAuthenticator/index.js), and a
      // frozen one fails every login with a TypeError: a copy of its own, unfrozen, as transport-options gives.
      ...(client.sasl ? { sasl: toWritableSasl(client.sasl) } : {}),
      clientId,
      brokers: toFrozenCopy(client.brokers ?? ['localhost:9092']),
    }) as KafkaConfig,
    // kafkajs's disconnect() waits for the fetch in flight, which on a caught-up partition is a long poll of
    // maxWaitTimeInMs (kafkajs default 5000): a live replay would take 5 s to close.
    consumerConfig: toFrozenCopy({ maxWaitTimeInMs: REPLAY_MAX_WAIT_MS, ...options.consumer }),
    decode: options.decode,
    groupIdPrefix: options.groupIdPrefix ?? 'rxkafka-replay',
    clientId,
    logger: options.logger ? toLogger(options.logger) : createStreamLogger('warn'),
    driver: options.driver,
  });
}

function toWritableSasl(sasl: NonNullable<KafkaConfig['sasl']>): KafkaConfig['sasl'] {
  return Object.getPrototypeOf(sasl) === Object.prototype ? { ...sasl } : sasl;
}

/** A fresh throwaway group id: `<prefix>-<16 hex chars>`. */
export function createReplayGroupId(prefix: string): string {
  return `${prefix}-${randomBytes(8).toString('hex')}`;
}

function resolveFrom(from: ReplayFrom | undefined): ResolvedReplayFrom {
  if (from === undefined || from === 'earliest') return { kind: 'earliest' };
  const fix = "use 'earliest', { timestamp: Date.parse('2026-12-01T10:00:00Z') } or { offsets: { 0: '42' } }";
  if (!isObject(from)) failOption('from', "'earliest', { timestamp } or { offsets }", from, fix);
  checkKnownKeys('from', from, 'timestamp' in from ? ['timestamp'] : ['offsets']);
  if ('timestamp' in from) {
    const { timestamp } = from;
    const timestampMs = timestamp instanceof Date ? timestamp.getTime() : timestamp;
    if (typeof timestampMs !== 'number' || !Number.isSafeInteger(timestampMs) || timestampMs < 0) {
      failOption('from.timestamp', 'a Date or epoch milliseconds (a whole number ≥ 0)', timestamp, fix);
    }
    return { kind: 'timestamp', timestampMs };
  }
  const { offsets } = from as { offsets: unknown };
  if (!isObject(offsets)) failOption('from.offsets', 'an object of partition → offset', offsets, fix);
  const resolved = new Map<number, bigint>();
  for (const [key, value] of Object.entries(offsets)) {
    const partition = Number(key);
    if (!Number.isSafeInteger(partition) || partition < 0 || String(partition) !== key) {
      failOption(
        `from.offsets`,
        'keyed by partition numbers',
        key,
        'key each offset by its partition: { 0: 12 }',
      );
    }
    const isText = typeof value === 'string' && /^\d+$/.test(value);
    const isNumber = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
    if (!isText && !isNumber) {
      failOption(`from.offsets.${key}`, 'an offset ≥ 0 (a whole number or its decimal string)', value, fix);
    }
    resolved.set(partition, BigInt(value as string | number));
  }
  return { kind: 'offsets', offsets: resolved };
}

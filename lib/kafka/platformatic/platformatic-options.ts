/**
 * The user's kafkajs-shaped settings (`client`, `consumer`, `producer`, `send`) in @platformatic/kafka's
 * terms. Every key is either mapped, left to rxkafka (it reads it itself), or refused by name: a setting
 * silently dropped would change behaviour without a word.
 *
 * Keys are only set when the user gave them: @platformatic/kafka 1.x lets an `undefined` option override its
 * default (platformatic/kafka#288, fixed in 2.1.0).
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { RxKafkaError } from '../../errors';

/** @platformatic/kafka's connection settings common to its producer, consumer and admin. */
export interface PlatformaticBaseOptions {
  readonly clientId: string;
  readonly bootstrapBrokers: string[];
  readonly connectTimeout?: number;
  readonly requestTimeout?: number;
  readonly retries?: number;
  /** Milliseconds before a retry: fixed, or by attempt (1 for the first retry). */
  readonly retryDelay?: number | ((client: unknown, operationId: string, attempt: number) => number);
  readonly tls?: TlsOptions;
  readonly sasl?: PlatformaticSasl;
}

export interface PlatformaticSasl {
  readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER';
  readonly username?: string;
  readonly password?: string;
  readonly token?: () => Promise<string>;
}

/** Group and fetch settings of @platformatic/kafka's consumer. */
export interface PlatformaticConsumerOptions {
  readonly sessionTimeout?: number;
  readonly rebalanceTimeout?: number;
  readonly heartbeatInterval?: number;
  readonly minBytes?: number;
  readonly maxBytes?: number;
  readonly maxBytesPerPartition?: number;
  readonly maxWaitTime: number;
  readonly isolationLevel?: number;
  readonly metadataMaxAge?: number;
  readonly autocreateTopics?: boolean;
  readonly maxInflights?: number;
  readonly protocols?: Array<{ name: string; version: number }>;
}

/**
 * The assignment protocols the consumer offers when it joins a (classic) group, in order of preference.
 * Members of one group must share a protocol name or the broker refuses the join
 * (INCONSISTENT_GROUP_PROTOCOL). kafkajs's consumers, and so NestJS's `Transport.KAFKA` and rxkafka on
 * kafkajs, offer only `RoundRobinAssigner` (version 0); @platformatic/kafka's own name is `roundrobin`.
 * Offering both lets either kind of member join a group of the other: a rolling switch between drivers, or
 * from `Transport.KAFKA` to `RxKafkaStrategy` on @platformatic/kafka, keeps one group. The subscription
 * and the assignment are Kafka's consumer protocol whichever name is chosen, and the leader assigns round
 * robin under either.
 */
export const PLATFORMATIC_GROUP_PROTOCOLS = Object.freeze([
  Object.freeze({ name: 'RoundRobinAssigner', version: 0 }),
  Object.freeze({ name: 'roundrobin', version: 1 }),
]);

export interface PlatformaticProducerOptions {
  readonly idempotent?: boolean;
  readonly metadataMaxAge?: number;
  readonly autocreateTopics?: boolean;
  readonly maxInflights?: number;
}

/** What the consumer's batch loop reads from `run`: how many partitions' batches run at once. */
export interface PlatformaticRunOptions {
  readonly partitionsConsumedConcurrently: number;
}

/**
 * How long an idle fetch waits at the broker: also how long a close waits for the fetch in flight. Kafka's
 * Java consumer waits 500 ms, as rxkafka's kafkajs consumers do; @platformatic/kafka's own default is 5 s.
 */
export const DEFAULT_FETCH_MAX_WAIT_MS = 500;

/**
 * How much one fetch may bring per partition, as kafkajs (and Kafka's Java consumer) ask: 1 MB.
 * @platformatic/kafka's own default is its whole `maxBytes` (10 MB), and its stream pushes a fetch's every
 * record even past its high-water mark: on small records one fetch held a slow consumer's whole topic, decoded
 * (about 700 bytes a record).
 */
export const DEFAULT_MAX_BYTES_PER_PARTITION = 1_048_576;

const SASL_MECHANISMS: Readonly<Record<string, PlatformaticSasl['mechanism']>> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
  oauthbearer: 'OAUTHBEARER',
};

/** kafkajs `CompressionTypes` numbers, as `send.compression` carries them. */
const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type PlatformaticCompression = (typeof COMPRESSIONS)[number];

type Settings = Readonly<Record<string, unknown>>;

/**
 * The client settings (`client`, with rxkafka's clientId and brokers) as @platformatic/kafka's base options.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming every key it has no equivalent for.
 */
export function toPlatformaticBaseOptions(client: Settings): PlatformaticBaseOptions {
  const refused: string[] = [];
  const known = new Set([
    'clientId',
    'brokers',
    'ssl',
    'sasl',
    'connectionTimeout',
    'requestTimeout',
    'retry',
  ]);
  for (const key of Object.keys(client)) {
    if (!known.has(key) && client[key] !== undefined) refused.push(`client.${key}`);
  }
  const brokers = client.brokers;
  if (!Array.isArray(brokers)) refused.push('client.brokers (a function)');
  const retry = (client.retry ?? {}) as Settings;
  for (const key of Object.keys(retry)) {
    if (!RETRY_KEYS.has(key) && retry[key] !== undefined) refused.push(`client.retry.${key}`);
  }
  const sasl = client.sasl === undefined ? undefined : toSasl(client.sasl as Settings, refused);
  refuse(refused, 'client');
  return withoutUndefined({
    clientId: String(client.clientId),
    bootstrapBrokers: [...(brokers as string[])],
    connectTimeout: client.connectionTimeout as number | undefined,
    requestTimeout: client.requestTimeout as number | undefined,
    retries: retry.retries as number | undefined,
    retryDelay: toRetryDelay(retry),
    tls: toTls(client.ssl),
    sasl,
  });
}

const RETRY_KEYS = new Set(['retries', 'initialRetryTime', 'maxRetryTime']);

/**
 * kafkajs doubles its retry delay from `initialRetryTime` up to `maxRetryTime`; @platformatic/kafka waits a
 * fixed `retryDelay` unless given a function of the attempt. With a cap, the delay doubles as kafkajs's does
 * (without its random factor), so a client told to ride out an outage of some seconds still does.
 */
function toRetryDelay(retry: Settings): PlatformaticBaseOptions['retryDelay'] {
  const initialMs = retry.initialRetryTime as number | undefined;
  const maxMs = retry.maxRetryTime as number | undefined;
  if (maxMs === undefined) return initialMs;
  // kafkajs's own default first delay.
  const firstMs = initialMs ?? 300;
  return (_client, _operationId, attempt) => Math.min(maxMs, firstMs * 2 ** Math.max(0, attempt - 1));
}

function toTls(ssl: unknown): TlsOptions | undefined {
  if (ssl === undefined || ssl === false) return undefined;
  return ssl === true ? {} : { ...(ssl as TlsOptions) };
}

/** The `client.sasl` keys each mechanism reads; any other (kafkajs's `aws` keys, say) is refused by name. */
const SASL_KEYS: Readonly<Record<PlatformaticSasl['mechanism'], ReadonlySet<string>>> = {
  PLAIN: new Set(['mechanism', 'username', 'password']),
  'SCRAM-SHA-256': new Set(['mechanism', 'username', 'password']),
  'SCRAM-SHA-512': new Set(['mechanism', 'username', 'password']),
  OAUTHBEARER: new Set(['mechanism', 'oauthBearerProvider']),
};

function toSasl(sasl: Settings, refused: string[]): PlatformaticSasl | undefined {
  const mechanism = SASL_MECHANISMS[String(sasl.mechanism).toLowerCase()];
  if (!mechanism) {
    refused.push(`client.sasl.mechanism '${String(sasl.mechanism)}'`);
    return undefined;
  }
  const unknown = Object.keys(sasl).filter(
    (key) => !SASL_KEYS[mechanism].has(key) && sasl[key] !== undefined,
  );
  if (unknown.length > 0) {
    refused.push(...unknown.map((key) => `client.sasl.${key}`));
    return undefined;
  }
  if (mechanism !== 'OAUTHBEARER') {
    return { mechanism, username: sasl.username as string, password: sasl.password as string };
  }
  // kafkajs asks its provider for `{ value }`; @platformatic/kafka asks for the token itself.
  const provider = sasl.oauthBearerProvider as (() => Promise<{ value: string }>) | undefined;
  if (typeof provider !== 'function') {
    refused.push('client.sasl (oauthbearer without oauthBearerProvider)');
    return undefined;
  }
  return { mechanism, token: async () => (await provider()).value };
}

const CONSUMER_KEYS: Readonly<Record<string, keyof PlatformaticConsumerOptions | null>> = {
  // rxkafka's own: the group id travels apart, in ConsumerSettings.
  groupId: null,
  sessionTimeout: 'sessionTimeout',
  rebalanceTimeout: 'rebalanceTimeout',
  heartbeatInterval: 'heartbeatInterval',
  minBytes: 'minBytes',
  maxBytes: 'maxBytes',
  maxBytesPerPartition: 'maxBytesPerPartition',
  maxWaitTimeInMs: 'maxWaitTime',
  metadataMaxAge: 'metadataMaxAge',
  allowAutoTopicCreation: 'autocreateTopics',
  maxInFlightRequests: 'maxInflights',
};

/**
 * The consumer settings (`consumer`) as @platformatic/kafka's consumer options.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming every key it has no equivalent for.
 */
export function toPlatformaticConsumerOptions(consumer: Settings): PlatformaticConsumerOptions {
  const refused: string[] = [];
  const options: Record<string, unknown> = {
    maxWaitTime: DEFAULT_FETCH_MAX_WAIT_MS,
    maxBytesPerPartition: DEFAULT_MAX_BYTES_PER_PARTITION,
    // Copies: the library may validate or annotate the options it is given.
    protocols: PLATFORMATIC_GROUP_PROTOCOLS.map((protocol) => ({ ...protocol })),
  };
  for (const [key, value] of Object.entries(consumer)) {
    if (value === undefined) continue;
    if (key === 'readUncommitted') {
      // Kafka's isolation levels: 0 reads uncommitted records, 1 only committed ones (kafkajs's default too).
      options.isolationLevel = value === true ? 0 : 1;
      continue;
    }
    const target = CONSUMER_KEYS[key];
    if (target === undefined) refused.push(`consumer.${key}`);
    else if (target !== null) options[target] = value;
  }
  refuse(refused, 'consumer');
  return options as unknown as PlatformaticConsumerOptions;
}

/** `run` keys rxkafka reads itself (commits) or that do not apply to a batch loop it drives. */
const RUN_KEYS_OF_RXKAFKA = new Set([
  'autoCommit',
  'autoCommitInterval',
  'autoCommitThreshold',
  'eachBatchAutoResolve',
]);

/**
 * The run settings (`run`) the consumer's batch loop reads.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming every key it has no equivalent for.
 */
export function toPlatformaticRunOptions(run: Settings): PlatformaticRunOptions {
  const refused = Object.keys(run).filter(
    (key) =>
      run[key] !== undefined && key !== 'partitionsConsumedConcurrently' && !RUN_KEYS_OF_RXKAFKA.has(key),
  );
  refuse(
    refused.map((key) => `run.${key}`),
    'run',
  );
  const concurrency = run.partitionsConsumedConcurrently;
  return { partitionsConsumedConcurrently: typeof concurrency === 'number' ? concurrency : 1 };
}

const PRODUCER_KEYS: Readonly<Record<string, keyof PlatformaticProducerOptions>> = {
  idempotent: 'idempotent',
  metadataMaxAge: 'metadataMaxAge',
  allowAutoTopicCreation: 'autocreateTopics',
  maxInFlightRequests: 'maxInflights',
};

/**
 * The producer settings (`producer`) as @platformatic/kafka's producer options. A transactional id is
 * refused here: the transactional producers take theirs from the runtime (toPlatformaticTransactionalOptions).
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming every key it has no equivalent for.
 */
export function toPlatformaticProducerOptions(producer: Settings): PlatformaticProducerOptions {
  const refused: string[] = [];
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(producer)) {
    if (value === undefined) continue;
    const target = PRODUCER_KEYS[key];
    if (target === undefined) refused.push(`producer.${key}`);
    else options[target] = value;
  }
  refuse(refused, 'producer');
  return options as PlatformaticProducerOptions;
}

/** kafkajs's default `transactionTimeout`: how long the coordinator lets a transaction stay open. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;

/** A transactional producer's options: the producer's, and `timeout`, the transaction's timeout. */
export interface PlatformaticTransactionalOptions extends PlatformaticProducerOptions {
  readonly timeout: number;
}

/**
 * The producer settings (`producer`) of a transactional producer. `transactionTimeout` becomes
 * @platformatic/kafka's `timeout`, which its InitProducerId sends as the transaction timeout (and its produce
 * requests as theirs): its default of 5 s would let the coordinator abort a transaction kafkajs keeps for 60 s.
 * `idempotent` and `maxInFlightRequests` are what transactions need whatever the user set, as on kafkajs.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming every key it has no equivalent for.
 */
export function toPlatformaticTransactionalOptions(producer: Settings): PlatformaticTransactionalOptions {
  const { transactionTimeout, idempotent: _idempotent, maxInFlightRequests: _inFlight, ...rest } = producer;
  return {
    ...toPlatformaticProducerOptions(rest),
    timeout: typeof transactionTimeout === 'number' ? transactionTimeout : DEFAULT_TRANSACTION_TIMEOUT_MS,
  };
}

/** A kafkajs `CompressionTypes` number as @platformatic/kafka's codec name. */
export function toPlatformaticCompression(codec: number | undefined): PlatformaticCompression | undefined {
  if (codec === undefined) return undefined;
  const name = COMPRESSIONS[codec];
  if (name === undefined) {
    throwInvalidOption(
      'send.compression',
      `option send.compression must be a kafkajs CompressionTypes value (0 to 4), got ${codec}: e.g. CompressionTypes.GZIP`,
    );
  }
  return name;
}

function refuse(refused: readonly string[], path: string): void {
  if (refused.length === 0) return;
  throwInvalidOption(
    refused.length === 1 ? refused[0] : path,
    `driver 'platformatic' has no equivalent for ${refused.length === 1 ? 'option' : 'options'} ` +
      `${refused.join(', ')}: remove ${refused.length === 1 ? 'it' : 'them'}, or use driver 'kafkajs' (the default)`,
  );
}

function throwInvalidOption(path: string, message: string): never {
  throw new RxKafkaError('RXK_INVALID_OPTIONS', message, { path });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}

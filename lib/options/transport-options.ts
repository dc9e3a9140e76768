import type {
  BrokersFunction,
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  KafkaConfig,
  ProducerConfig,
  ProducerRecord,
} from '../kafka/kafkajs/kafkajs-types';
import type { DriverOption } from './create-driver';
import type { GroupProtocol } from './group-protocol';
import { createStreamLogger, toLogger, type Logger } from '../logger';
import type { Deserializer } from '../wire/deserializer';
import type { Serializer } from '../wire/serializer';
import { toFrozenCopy } from './frozen-copy';
import { validateTransportOptions } from './validate-transport-options';

/**
 * Options shared by server and client, with NestJS's names and meaning (`KafkaOptions['options']`
 * in @nestjs/microservices `interfaces/microservice-configuration.interface.ts`), so the `options` of a NestJS microservice or `ClientsModule` entry can be passed
 * as it is: `new KafkaServer(container, nestOptions.options)`.
 */
export interface KafkaTransportOptions {
  /**
   * kafkajs client config, passed to `new Kafka()` with the computed `clientId` and `brokers`.
   * @defaultValue `{ brokers: ['localhost:9092'], clientId: 'nestjs-consumer' }`
   */
  client?: Partial<KafkaConfig>;
  /**
   * kafkajs consumer config, passed to `kafka.consumer()` with the computed `groupId`.
   * @defaultValue `{ groupId: 'nestjs-group', maxWaitTimeInMs: 500 }` (kafkajs's disconnect waits for the
   * fetch in flight, which waits that long on an idle partition; kafkajs's own default is 5000)
   */
  consumer?: Partial<ConsumerConfig>;
  /**
   * kafkajs `consumer.run()` config. `eachBatchAutoResolve` is ignored: rxkafka resolves an offset only once
   * its record is handled. With `autoCommit` (the default) rxkafka commits resolved offsets itself, in the
   * background: one OffsetCommit in flight, never holding up the next fetch, and a final one at close() and
   * before a rebalance. `autoCommitInterval` spaces those background commits (default: as soon as the last
   * one is answered); `autoCommitThreshold` has no effect. With `autoCommit: false` rxkafka never commits;
   * the application commits through `KafkaContext.getConsumer().commitOffsets()` (server) or
   * `KafkaClient.commitOffsets()`, as in NestJS.
   * @defaultValue `{}` (kafkajs defaults: autoCommit true)
   */
  run?: Omit<ConsumerRunConfig, 'eachBatch' | 'eachMessage'>;
  /** Spread into `consumer.subscribe()`. @defaultValue `{ fromBeginning: false }` */
  subscribe?: Omit<ConsumerSubscribeTopics, 'topics'>;
  /** kafkajs producer config, passed to `kafka.producer()`. @defaultValue `{}` */
  producer?: ProducerConfig;
  /** Spread into every produce request (requests, events, replies): `acks`, `timeout`, `compression`. @defaultValue `{}` */
  send?: Omit<ProducerRecord, 'topic' | 'messages'>;
  /** Suffix of clientId and groupId; `''` removes it. @defaultValue `'-server'` / `'-client'` */
  postfixId?: string;
  /** Encodes outgoing values. @defaultValue `KafkaRequestSerializer` (NestJS's rules) */
  serializer?: Serializer;
  /** Decodes records after the parser. @defaultValue NestJS's request (server) / response (client) deserializer */
  deserializer?: Deserializer<unknown>;
  /** `keepBinary: true` hands record values over as Buffers. @defaultValue `{ keepBinary: false }` */
  parser?: { keepBinary?: boolean };
  /**
   * Where rxkafka and kafkajs log: any `Logger` (winston, `console`), or a pino logger as it is (its
   * `(fields, message)` order is recognised). @defaultValue `createStreamLogger('warn')`: warnings and errors to stderr
   */
  logger?: Logger;
  /**
   * How long `listen()` / `connect()` go on trying to reach the brokers before they fail, with the last
   * attempt's error (`RXK_BROKER_UNREACHABLE` when no broker answered, its `cause` kafkajs's error). No new
   * attempt starts after it; one then running ends first (kafkajs retries a socket by itself, `client.retry`:
   * about 10 s by default). 0: only the attempt count limits (5). A connection that has served retries a lost
   * broker without this limit. @defaultValue 10000
   */
  connectTimeoutMs?: number;
  /** Accepted and ignored, so NestJS's `Transport.KAFKA` may stay in the object. */
  transport?: unknown;
  /**
   * The Kafka client library behind the connection: `'kafkajs'`, `'platformatic'` (its package an
   * optional peer dependency: see the README's "Choosing a client"), or a KafkaDriver object of rxkafka's
   * driver port (lib/kafka/kafka-driver.ts; a fake one in unit tests). @defaultValue `'kafkajs'`, built from `client`
   */
  driver?: DriverOption;
  /**
   * How the consumer joins its group: `'classic'` (every rebalance stops every partition of every member for
   * a moment), or `'consumer'`, KIP-848's protocol (Kafka 4.x): a member joining or leaving moves only the
   * partitions that change owner, and the others keep flowing. `'consumer'` needs `driver: 'platformatic'`
   * (kafkajs has only eager rebalances); the broker then sets the session timeout and heartbeat interval, so
   * `consumer.sessionTimeout` and `consumer.heartbeatInterval` are refused. @defaultValue `'classic'`
   */
  groupProtocol?: GroupProtocol;
}

/** Defaults shared by server and client, NestJS's (`server-kafka.ts` and `client-kafka.ts` constructors). */
export const DEFAULT_TRANSPORT_OPTIONS = toFrozenCopy({
  client: { brokers: ['localhost:9092'], clientId: 'nestjs-consumer' },
  consumer: { groupId: 'nestjs-group' },
  subscribe: { fromBeginning: false },
  parser: { keepBinary: false },
  connectTimeoutMs: 10_000,
});

/**
 * The shared part of the resolved options: defaults applied, kafkajs configs ready to pass, all frozen.
 * Plain data is copied; functions and objects with behaviour (logger, serializer, brokers function) are
 * the caller's own, kept by reference.
 */
export interface ResolvedTransportOptions {
  /** The suffix in effect: the given string, or the side's default. */
  readonly postfixId: string;
  /** `(client.clientId || 'nestjs-consumer') + postfixId` */
  readonly clientId: string;
  /** `(consumer.groupId || 'nestjs-group') + postfixId` */
  readonly groupId: string;
  readonly brokers: readonly string[] | BrokersFunction;
  /** `{ ...client, clientId, brokers }`. Its `sasl` is an unfrozen copy: kafkajs's AWS-IAM mechanism writes `sessionToken` into it. */
  readonly kafkaConfig: KafkaConfig;
  /** `{ ...consumer, groupId }` */
  readonly consumerConfig: ConsumerConfig;
  readonly runConfig: Omit<ConsumerRunConfig, 'eachBatch' | 'eachMessage'>;
  readonly subscribeConfig: Omit<ConsumerSubscribeTopics, 'topics'>;
  readonly producerConfig: ProducerConfig;
  readonly sendConfig: Omit<ProducerRecord, 'topic' | 'messages'>;
  readonly keepBinary: boolean;
  readonly connectTimeoutMs: number;
  /** As given; absent means the server or client picks its NestJS default. */
  readonly serializer?: Serializer;
  /** As given; absent means the server or client picks its NestJS default. */
  readonly deserializer?: Deserializer<unknown>;
  readonly logger: Logger;
  /** As given; absent means the server or client uses kafkajs's adapter. */
  readonly driver?: DriverOption;
  /** As given; absent means `'classic'`. */
  readonly groupProtocol?: GroupProtocol;
}

/**
 * Validates the shared fields and resolves them; `defaultPostfix` is the side's suffix. The result's parts
 * are frozen; the caller (server or client options) freezes the whole.
 */
export function resolveTransportOptions(
  options: KafkaTransportOptions,
  defaultPostfix: string,
): ResolvedTransportOptions {
  validateTransportOptions(options);
  const defaults = DEFAULT_TRANSPORT_OPTIONS;
  const { sasl, ...client } = options.client ?? {};
  // A string, even '', is used as it is. NestJS v11 turns an explicit `postfixId: undefined` into the text
  // "undefined" (ids like "nestjs-consumerundefined"); rxkafka treats it as absent instead.
  const postfixId = typeof options.postfixId === 'string' ? options.postfixId : defaultPostfix;
  // `||`, not `??`: NestJS also falls back to the default for an empty clientId.
  const clientId = (client.clientId || defaults.client.clientId) + postfixId;
  const groupId = (options.consumer?.groupId || defaults.consumer.groupId) + postfixId;
  const brokers = toFrozenCopy(client.brokers ?? defaults.client.brokers);
  const kafkaConfig = Object.freeze({
    ...toFrozenCopy(client),
    ...(sasl === undefined ? {} : { sasl: isPlainData(sasl) ? { ...sasl } : sasl }),
    clientId,
    brokers,
  }) as KafkaConfig;
  return {
    postfixId,
    clientId,
    groupId,
    brokers,
    kafkaConfig,
    consumerConfig: toFrozenCopy({ ...options.consumer, groupId }),
    runConfig: toFrozenCopy({ ...options.run }),
    subscribeConfig: toFrozenCopy({
      ...options.subscribe,
      fromBeginning: options.subscribe?.fromBeginning ?? defaults.subscribe.fromBeginning,
    }),
    producerConfig: toFrozenCopy({ ...options.producer }),
    sendConfig: toFrozenCopy({ ...options.send }),
    keepBinary: options.parser?.keepBinary ?? defaults.parser.keepBinary,
    connectTimeoutMs: options.connectTimeoutMs ?? defaults.connectTimeoutMs,
    serializer: options.serializer,
    deserializer: options.deserializer,
    logger: options.logger ? toLogger(options.logger) : createStreamLogger('warn'),
    driver: options.driver,
    ...(options.groupProtocol === undefined ? {} : { groupProtocol: options.groupProtocol }),
  };
}

function isPlainData(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

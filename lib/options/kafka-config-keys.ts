/**
 * The keys kafkajs 2.2.4 takes in each of its config objects, so a typo inside one (`client.broker`,
 * `consumer.gropuId`) fails at the door instead of being ignored by kafkajs. Each table is a Record over the
 * kafkajs type's keys, so the compiler fails when kafkajs's types gain or lose one; keys kafkajs's source
 * reads beyond its types are added by name, with the file that reads them.
 */
import type {
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  KafkaConfig,
  ProducerConfig,
  ProducerRecord,
} from '../kafka/kafkajs/kafkajs-types';
import type { ConfigShape } from './check-shape';
import { failOption, findClosest } from './option-checks';

type RetryOptions = NonNullable<KafkaConfig['retry']>;
type SaslConfig = NonNullable<KafkaConfig['sasl']>;
/** The mechanisms kafkajs authenticates with itself ('plain', 'scram-sha-256', …). */
type BuiltInMechanism = Exclude<SaslConfig, { authenticationProvider: unknown }>['mechanism'];
type SaslCredentials<M extends BuiltInMechanism> = Omit<Extract<SaslConfig, { mechanism: M }>, 'mechanism'>;

function keysOf<T>(keys: Record<keyof T, true>): string[] {
  return Object.keys(keys);
}

/** `retry` of the client, consumer and producer (kafkajs `src/retry/index.js`, consumer `restartOnFailure`). */
export const RETRY_SHAPE: ConfigShape = {
  keys: keysOf<RetryOptions>({
    maxRetryTime: true,
    initialRetryTime: true,
    factor: true,
    multiplier: true,
    retries: true,
    restartOnFailure: true,
  }),
};

// kafkajs also reads `authorizationIdentity` for PLAIN and OAUTHBEARER (src/protocol/sasl/plain/request.js,
// src/protocol/sasl/oauthBearer/request.js), which its types leave out.
const SASL_KEYS_BY_MECHANISM: Readonly<Record<BuiltInMechanism, readonly string[]>> = {
  plain: [...keysOf<SaslCredentials<'plain'>>({ username: true, password: true }), 'authorizationIdentity'],
  'scram-sha-256': keysOf<SaslCredentials<'scram-sha-256'>>({ username: true, password: true }),
  'scram-sha-512': keysOf<SaslCredentials<'scram-sha-512'>>({ username: true, password: true }),
  aws: keysOf<SaslCredentials<'aws'>>({
    authorizationIdentity: true,
    accessKeyId: true,
    secretAccessKey: true,
    sessionToken: true,
  }),
  oauthbearer: [
    ...keysOf<SaslCredentials<'oauthbearer'>>({ oauthBearerProvider: true }),
    'authorizationIdentity',
  ],
};

/**
 * `client.sasl`'s keys depend on its mechanism, which kafkajs matches in any case. A mechanism of one's own
 * (a package's `authenticationProvider`) is left unchecked: kafkajs hands the provider nothing from this
 * object, so the object is shaped as that package likes.
 */
function chooseSaslShape(path: string, sasl: Record<string, unknown>): ConfigShape | undefined {
  const { mechanism } = sasl;
  const name = typeof mechanism === 'string' ? mechanism.toLowerCase() : '';
  if (Object.hasOwn(SASL_KEYS_BY_MECHANISM, name)) {
    const credentials = SASL_KEYS_BY_MECHANISM[name as BuiltInMechanism];
    return { keys: ['mechanism', 'authenticationProvider', ...credentials] };
  }
  if (sasl.authenticationProvider !== undefined) return undefined;
  const builtIn = Object.keys(SASL_KEYS_BY_MECHANISM);
  const closest = typeof mechanism === 'string' ? findClosest(mechanism, builtIn) : undefined;
  failOption(
    `${path}.mechanism`,
    `one of ${builtIn.map((item) => `'${item}'`).join(', ')}, or a name of your own with an authenticationProvider`,
    mechanism,
    closest === undefined ? "e.g. mechanism: 'scram-sha-512'" : `did you mean '${closest}'?`,
  );
}

/**
 * `client`: kafkajs `new Kafka()` (src/index.js). `ssl` takes Node's `tls.ConnectionOptions` (or `true`)
 * and is not entered; `brokers` may be a function.
 */
export const KAFKA_CONFIG_SHAPE: ConfigShape = {
  keys: keysOf<KafkaConfig>({
    brokers: true,
    ssl: true,
    sasl: true,
    clientId: true,
    connectionTimeout: true,
    authenticationTimeout: true,
    reauthenticationThreshold: true,
    requestTimeout: true,
    enforceRequestTimeout: true,
    retry: true,
    socketFactory: true,
    logLevel: true,
    logCreator: true,
  }),
  nested: { retry: RETRY_SHAPE, sasl: chooseSaslShape },
};

/** `consumer`: kafkajs `kafka.consumer()`. */
export const CONSUMER_CONFIG_SHAPE: ConfigShape = {
  keys: keysOf<ConsumerConfig>({
    groupId: true,
    partitionAssigners: true,
    metadataMaxAge: true,
    sessionTimeout: true,
    rebalanceTimeout: true,
    heartbeatInterval: true,
    maxBytesPerPartition: true,
    minBytes: true,
    maxBytes: true,
    maxWaitTimeInMs: true,
    retry: true,
    allowAutoTopicCreation: true,
    maxInFlightRequests: true,
    readUncommitted: true,
    rackId: true,
  }),
  nested: { retry: RETRY_SHAPE },
};

/** `producer`: kafkajs `kafka.producer()`. */
export const PRODUCER_CONFIG_SHAPE: ConfigShape = {
  keys: keysOf<ProducerConfig>({
    createPartitioner: true,
    retry: true,
    metadataMaxAge: true,
    allowAutoTopicCreation: true,
    idempotent: true,
    transactionalId: true,
    transactionTimeout: true,
    maxInFlightRequests: true,
  }),
  nested: { retry: RETRY_SHAPE },
};

/** `run`: kafkajs `consumer.run()`. rxkafka refuses its handlers with a reason of their own. */
export const RUN_CONFIG_SHAPE: ConfigShape = {
  keys: keysOf<ConsumerRunConfig>({
    autoCommit: true,
    autoCommitInterval: true,
    autoCommitThreshold: true,
    eachBatchAutoResolve: true,
    partitionsConsumedConcurrently: true,
    eachBatch: true,
    eachMessage: true,
  }),
};

/**
 * `subscribe`: kafkajs `consumer.subscribe()`, with the deprecated single `topic`. rxkafka refuses the
 * topics with a reason of their own.
 */
export const SUBSCRIBE_CONFIG_SHAPE: ConfigShape = {
  keys: [...keysOf<ConsumerSubscribeTopics>({ topics: true, fromBeginning: true }), 'topic'],
};

/** `send`: what kafkajs `producer.sendBatch()` takes besides the records. */
export const SEND_CONFIG_SHAPE: ConfigShape = {
  keys: keysOf<Omit<ProducerRecord, 'topic' | 'messages'>>({ acks: true, timeout: true, compression: true }),
};

/** The kafkajs configs among the transport options (server, client, consume(), createProducer()). */
export const TRANSPORT_CONFIG_SHAPES = {
  client: KAFKA_CONFIG_SHAPE,
  consumer: CONSUMER_CONFIG_SHAPE,
  run: RUN_CONFIG_SHAPE,
  subscribe: SUBSCRIBE_CONFIG_SHAPE,
  producer: PRODUCER_CONFIG_SHAPE,
  send: SEND_CONFIG_SHAPE,
} as const;

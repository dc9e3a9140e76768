/**
 * kafkajs configs with every key kafkajs 2.2.4 takes, written out by hand from its types and source (not
 * derived from rxkafka's key tables, so a table that is too strict fails the specs that pass these). The
 * `Required<…>` types make the compiler fail here when kafkajs's types gain a key these lack.
 */
import { CompressionTypes, logLevel, PartitionAssigners, Partitioners } from 'kafkajs';
import type {
  ConsumerConfig,
  ConsumerRunConfig,
  KafkaConfig,
  ProducerConfig,
  ProducerRecord,
} from '../../lib/kafka/kafkajs/kafkajs-types';

type RetryOptions = Required<NonNullable<KafkaConfig['retry']>>;

export const EVERY_RETRY_KEY: RetryOptions = {
  maxRetryTime: 30_000,
  initialRetryTime: 300,
  factor: 0.2,
  multiplier: 2,
  retries: 5,
  restartOnFailure: async () => true,
};

/** One `sasl` per mechanism kafkajs knows, each with every key kafkajs reads for it, and one of one's own. */
export const EVERY_SASL_MECHANISM: ReadonlyArray<NonNullable<KafkaConfig['sasl']>> = [
  // kafkajs's PLAIN request reads authorizationIdentity too (src/protocol/sasl/plain/request.js).
  withExtraKeys({ mechanism: 'plain', username: 'u', password: 'p' }, { authorizationIdentity: 'a' }),
  { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
  { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
  {
    mechanism: 'aws',
    authorizationIdentity: 'AIDAEXAMPLE',
    accessKeyId: 'AKIAEXAMPLE',
    secretAccessKey: 'secret',
    sessionToken: 'token',
  },
  withExtraKeys(
    { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: 'token' }) },
    { authorizationIdentity: 'a' },
  ),
  // kafkajs upper-cases the mechanism before matching it (src/broker/saslAuthenticator/index.js).
  { mechanism: 'SCRAM-SHA-512' as 'scram-sha-512', username: 'u', password: 'p' },
  // A mechanism of one's own, as packages such as an MSK IAM mechanism build it, with a field of its own.
  withExtraKeys(
    { mechanism: 'AWS_MSK_IAM', authenticationProvider: () => ({ authenticate: async () => undefined }) },
    { region: 'eu-west-1' },
  ),
];

/** `client` with every key of kafkajs's `KafkaConfig`; `ssl` with Node TLS options rxkafka knows nothing of. */
export const EVERY_CLIENT_KEY: Required<KafkaConfig> = {
  brokers: ['localhost:9092'],
  ssl: {
    rejectUnauthorized: false,
    ca: ['-----BEGIN CERTIFICATE-----'],
    cert: '-----BEGIN CERTIFICATE-----',
    key: '-----BEGIN PRIVATE KEY-----',
    passphrase: 'pass',
    servername: 'kafka.example.com',
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['kafka'],
    checkServerIdentity: () => undefined,
  },
  sasl: EVERY_SASL_MECHANISM[0],
  clientId: 'every-key',
  connectionTimeout: 1_000,
  authenticationTimeout: 10_000,
  reauthenticationThreshold: 10_000,
  requestTimeout: 30_000,
  enforceRequestTimeout: true,
  retry: EVERY_RETRY_KEY,
  socketFactory: () => {
    throw new Error('no socket in a spec');
  },
  logLevel: logLevel.WARN,
  logCreator: () => () => undefined,
};

/** `consumer` with every key of kafkajs's `ConsumerConfig` but `groupId`, which some front ends refuse. */
export const EVERY_CONSUMER_KEY_BUT_GROUP_ID: Required<Omit<ConsumerConfig, 'groupId'>> = {
  partitionAssigners: [PartitionAssigners.roundRobin],
  metadataMaxAge: 300_000,
  sessionTimeout: 30_000,
  rebalanceTimeout: 60_000,
  heartbeatInterval: 3_000,
  maxBytesPerPartition: 1_048_576,
  minBytes: 1,
  maxBytes: 10_485_760,
  maxWaitTimeInMs: 5_000,
  retry: EVERY_RETRY_KEY,
  allowAutoTopicCreation: false,
  maxInFlightRequests: 5,
  readUncommitted: false,
  rackId: 'rack-1',
};

export const EVERY_CONSUMER_KEY: Required<ConsumerConfig> = {
  ...EVERY_CONSUMER_KEY_BUT_GROUP_ID,
  groupId: 'every-key',
};

export const EVERY_PRODUCER_KEY: Required<ProducerConfig> = {
  createPartitioner: Partitioners.DefaultPartitioner,
  retry: EVERY_RETRY_KEY,
  metadataMaxAge: 300_000,
  allowAutoTopicCreation: false,
  idempotent: true,
  transactionalId: 'every-key-tx',
  transactionTimeout: 60_000,
  maxInFlightRequests: 1,
};

/** `run` with every key of kafkajs's `consumer.run()` but the handlers, which rxkafka supplies itself. */
export const EVERY_RUN_KEY: Required<Omit<ConsumerRunConfig, 'eachBatch' | 'eachMessage'>> = {
  autoCommit: true,
  autoCommitInterval: 5_000,
  autoCommitThreshold: 100,
  eachBatchAutoResolve: true,
  partitionsConsumedConcurrently: 4,
};

export const EVERY_SEND_KEY: Required<Omit<ProducerRecord, 'topic' | 'messages'>> = {
  acks: -1,
  timeout: 30_000,
  compression: CompressionTypes.GZIP,
};

/** Server or client options with every kafkajs key in each of their kafkajs configs. */
export const EVERY_TRANSPORT_KAFKA_KEY = {
  client: EVERY_CLIENT_KEY,
  consumer: EVERY_CONSUMER_KEY,
  run: EVERY_RUN_KEY,
  subscribe: { fromBeginning: true },
  producer: EVERY_PRODUCER_KEY,
  send: EVERY_SEND_KEY,
};

/**
 * A typo inside each kafkajs config, the path it is reported at, and the suggestion. Front ends that take
 * only some of the configs pick theirs with `typosIn()`.
 */
export const NESTED_TYPOS: ReadonlyArray<{ options: object; path: string; suggestion: string }> = [
  {
    options: { client: { broker: ['localhost:9092'] } },
    path: 'client.broker',
    suggestion: "did you mean 'brokers'? (client.brokers)",
  },
  {
    options: { client: { clientID: 'orders' } },
    path: 'client.clientID',
    suggestion: "did you mean 'clientId'? (client.clientId)",
  },
  {
    options: { client: { retry: { retires: 3 } } },
    path: 'client.retry.retires',
    suggestion: "did you mean 'retries'? (client.retry.retries)",
  },
  {
    options: { client: { sasl: { mechanism: 'plain', usename: 'u', password: 'p' } } },
    path: 'client.sasl.usename',
    suggestion: "did you mean 'username'? (client.sasl.username)",
  },
  {
    options: { client: { sasl: { mechanism: 'aws', accessKeyID: 'k', secretAccessKey: 's' } } },
    path: 'client.sasl.accessKeyID',
    suggestion: "did you mean 'accessKeyId'? (client.sasl.accessKeyId)",
  },
  {
    options: { client: { sasl: { mechanism: 'oauthbearer', oauthBearerProvder: () => undefined } } },
    path: 'client.sasl.oauthBearerProvder',
    suggestion: "did you mean 'oauthBearerProvider'? (client.sasl.oauthBearerProvider)",
  },
  {
    options: { consumer: { gropuId: 'orders' } },
    path: 'consumer.gropuId',
    suggestion: "did you mean 'groupId'? (consumer.groupId)",
  },
  {
    options: { consumer: { sessionTimout: 30_000 } },
    path: 'consumer.sessionTimout',
    suggestion: "did you mean 'sessionTimeout'? (consumer.sessionTimeout)",
  },
  {
    options: { consumer: { retry: { initalRetryTime: 100 } } },
    path: 'consumer.retry.initalRetryTime',
    suggestion: "did you mean 'initialRetryTime'? (consumer.retry.initialRetryTime)",
  },
  {
    options: { producer: { idempotant: true } },
    path: 'producer.idempotant',
    suggestion: "did you mean 'idempotent'? (producer.idempotent)",
  },
  {
    options: { producer: { retry: { retrys: 3 } } },
    path: 'producer.retry.retrys',
    suggestion: "did you mean 'retries'? (producer.retry.retries)",
  },
  {
    options: { run: { autoComit: false } },
    path: 'run.autoComit',
    suggestion: "did you mean 'autoCommit'? (run.autoCommit)",
  },
  {
    options: { subscribe: { fromBegining: true } },
    path: 'subscribe.fromBegining',
    suggestion: "did you mean 'fromBeginning'? (subscribe.fromBeginning)",
  },
  {
    options: { send: { ack: 1 } },
    path: 'send.ack',
    suggestion: "did you mean 'acks'? (send.acks)",
  },
];

/** The typos of `NESTED_TYPOS` inside the given top-level options. */
export function typosIn(...keys: string[]): typeof NESTED_TYPOS {
  return NESTED_TYPOS.filter(({ options }) => keys.includes(Object.keys(options)[0]));
}

/** `value` with keys its type does not declare (keys kafkajs's source reads beyond its types, or a package's own). */
function withExtraKeys<T extends object>(value: T, extra: Record<string, unknown>): T {
  return { ...value, ...extra };
}

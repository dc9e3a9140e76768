import { RxKafkaError } from '../errors';
import {
  assertJava17,
  DEFAULT_KAFKA_VERSION,
  ensureKafkaClasspath,
  resolveKafkaCacheDir,
} from './kafka-classpath';
import { KraftCluster, type ScramCredentials } from './kraft-cluster';
import { runCommand } from './run-command';
import { randomSecret } from './random-secret';
import { waitForKafka } from './wait-for-kafka';

export type LocalKafkaProvider = 'env' | 'testcontainers' | 'maven';

/**
 * How clients reach the broker: `plaintext` (no TLS, no login), or `sasl_ssl` (TLS with a throwaway CA, and
 * SCRAM-SHA-512 login).
 */
export type LocalKafkaSecurityProtocol = 'plaintext' | 'sasl_ssl';

/** A SCRAM user of a `sasl_ssl` broker: the name to log in as and its password. */
export type LocalKafkaCredentials = ScramCredentials;

/** What a client of a `sasl_ssl` broker needs: the CA to trust and the users to log in as. */
export interface LocalKafkaSecurity {
  /** The client listener's security protocol. */
  readonly protocol: 'sasl_ssl';
  /** The SASL mechanism, spelled as kafkajs's `sasl.mechanism` wants it. */
  readonly mechanism: 'scram-sha-512';
  /** The throwaway CA certificate (PEM) that signed the broker's certificate; trust it with `ssl: { ca: [ca] }`. */
  readonly ca: string;
  /**
   * The application user: a SCRAM-SHA-512 user with a random password, made when the broker was formatted. It
   * is a super user of the broker's authorizer, so it may do anything, create ACLs included.
   */
  readonly user: LocalKafkaCredentials;
  /**
   * A second SCRAM-SHA-512 user (`rxkafka-service`, a random password) that is not a super user: the broker
   * refuses it everything no ACL allows. Grant it what a test needs as `user` (kafkajs `admin.createAcls()`
   * with principal `User:rxkafka-service`), for specs of authorization failures.
   */
  readonly service: LocalKafkaCredentials;
  /** `user`'s name with a wrong (random) password, for specs of failed logins. */
  readonly wrongPassword: LocalKafkaCredentials;
}

/**
 * kafkajs client settings for this broker, accepted as is by `new Kafka(...)` and by rxkafka's `client` option
 * (a kafkajs KafkaConfig): `{ ...kafka.clientConfig, clientId }`.
 */
export interface LocalKafkaClientConfig {
  /** `host:port` of every broker (a fresh copy each time). */
  readonly brokers: string[];
  /** TLS trusting the broker's throwaway CA; absent for a plaintext broker. */
  readonly ssl?: { readonly ca: string[] };
  /** SCRAM-SHA-512 login as the application user; absent for a plaintext broker. */
  readonly sasl?: {
    readonly mechanism: 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
}

export interface LocalKafkaOptions {
  /**
   * Where the brokers come from. `auto` tries, in order: `KAFKA_BROKERS` (an existing cluster), a Docker engine
   * (testcontainers' Kafka module), then Apache Kafka's jars from Maven Central run on the local JDK.
   * @defaultValue 'auto'
   */
  readonly provider?: 'auto' | LocalKafkaProvider;
  /** Number of brokers (Maven provider only; each node is broker and controller). @defaultValue 1 */
  readonly nodes?: number;
  /** Fixed client ports, one per node (Maven provider); free loopback ports when absent. */
  readonly ports?: readonly number[];
  /** Apache Kafka version for the Maven provider. @defaultValue `$RXKAFKA_KAFKA_VERSION` or 4.4.0 */
  readonly kafkaVersion?: string;
  /** Folder for the downloaded jars. @defaultValue `$RXKAFKA_CACHE_DIR` or `.kafka/` at the project root */
  readonly cacheDir?: string;
  /** JVM heap per node. @defaultValue 512 */
  readonly heapMb?: number;
  /** How long to wait for the cluster to answer. @defaultValue 120000 */
  readonly startTimeoutMs?: number;
  /**
   * `sasl_ssl` starts a broker whose client and inter-broker listener need TLS (a throwaway CA made with the JDK's
   * keytool) and a SCRAM-SHA-512 login (an application user with a random password); `security` and
   * `clientConfig` on the result say how to connect. rxkafka must own such a broker's credentials, so `sasl_ssl`
   * needs the Maven provider: `auto` then skips KAFKA_BROKERS and Docker, and `env` or `testcontainers` are
   * rejected with RXK_INVALID_OPTIONS.
   * @defaultValue 'plaintext'
   */
  readonly security?: LocalKafkaSecurityProtocol;
  /** Progress lines (download, start, stop). Passwords are never logged. */
  readonly logger?: { info(message: string): void };
}

/** A running local Kafka: its addresses, and control over its processes where rxkafka started them. */
export interface LocalKafka {
  readonly provider: LocalKafkaProvider;
  readonly brokers: readonly string[];
  /** How to reach a `sasl_ssl` broker (CA, users); absent for a plaintext broker. */
  readonly security?: LocalKafkaSecurity;
  /**
   * kafkajs client settings (brokers, and TLS and login when secured): `new Kafka({ ...kafka.clientConfig })`,
   * or rxkafka's `client: kafka.clientConfig`. For a plaintext broker it is just `{ brokers }`.
   */
  readonly clientConfig: LocalKafkaClientConfig;
  /** Stops one node (1-based id). Only the Maven provider controls processes; the others throw. */
  stopNode(id: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts a stopped node again on the same ports and data. */
  startNode(id: number): Promise<void>;
  /** Stops every node rxkafka started and deletes their data. A no-op for `KAFKA_BROKERS`. */
  stop(): Promise<void>;
}

/**
 * Finds or starts a Kafka cluster for tests and demos, like mongodb-memory-server does for MongoDB.
 * Throws RXK_BROKER_SETUP (no Java, no Maven, port taken) or RXK_BROKER_UNREACHABLE (KAFKA_BROKERS silent),
 * each message naming the three ways to get a broker, and RXK_INVALID_OPTIONS for options that cannot work
 * together (`security: 'sasl_ssl'` with provider `env` or `testcontainers`).
 */
export async function startLocalKafka(options: LocalKafkaOptions = {}): Promise<LocalKafka> {
  const log = (message: string) => options.logger?.info(message);
  const provider = options.provider ?? 'auto';
  const nodes = options.nodes ?? 1;
  if (!Number.isInteger(nodes) || nodes < 1) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      `nodes must be a whole number of at least 1, got ${nodes}`,
      { path: 'nodes' },
    );
  }

  const security = options.security ?? 'plaintext';
  if (security !== 'plaintext' && security !== 'sasl_ssl') {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      `security must be 'plaintext' or 'sasl_ssl', got ${JSON.stringify(security)}`,
      { path: 'security' },
    );
  }
  const secured = security === 'sasl_ssl';
  if (secured && (provider === 'env' || provider === 'testcontainers')) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      `security 'sasl_ssl' needs provider 'maven', got provider '${provider}': rxkafka makes the broker's CA and ` +
        "SCRAM users itself, so it must start the broker. Set provider to 'maven' (or leave it 'auto'), or drop " +
        'the security option to use this provider.',
      { path: 'provider' },
    );
  }
  if (secured && provider === 'auto') {
    log(
      "security 'sasl_ssl': starting Apache Kafka from the Maven jars (KAFKA_BROKERS and Docker are not used, " +
        "since rxkafka must own the broker's credentials)",
    );
  }

  const envBrokers = process.env.KAFKA_BROKERS?.split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  if (!secured && (provider === 'env' || (provider === 'auto' && envBrokers && envBrokers.length > 0))) {
    if (!envBrokers || envBrokers.length === 0) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        "provider 'env' needs KAFKA_BROKERS, e.g. KAFKA_BROKERS=127.0.0.1:9092",
        {
          path: 'provider',
        },
      );
    }
    log(`using the existing cluster in KAFKA_BROKERS: ${envBrokers.join(',')}`);
    await waitForKafka(envBrokers, { timeoutMs: options.startTimeoutMs ?? 15_000 });
    return externalKafka(envBrokers);
  }

  if (
    !secured &&
    (provider === 'testcontainers' || (provider === 'auto' && (await isDockerEngineRunning())))
  ) {
    return startTestcontainersKafka(log);
  }

  await assertJava17();
  const version = options.kafkaVersion ?? process.env.RXKAFKA_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
  const libs = await ensureKafkaClasspath({
    version,
    cacheDir: options.cacheDir ?? resolveKafkaCacheDir(),
    log,
  });
  const user = secured ? { username: APPLICATION_USER, password: randomSecret() } : undefined;
  const service = { username: SERVICE_USER, password: randomSecret() };
  const started = Date.now();
  log(
    `starting Apache Kafka ${version} (KRaft, ${nodes} node${nodes > 1 ? 's' : ''}) from the Maven Central jars in ${libs}`,
  );
  const cluster = await KraftCluster.start({
    libs,
    nodes,
    ports: options.ports,
    heapMb: options.heapMb ?? 512,
    startTimeoutMs: options.startTimeoutMs ?? 120_000,
    log,
    security: user && { user, otherUsers: [service] },
  });
  log(
    `broker ready at ${cluster.brokers.join(',')}${secured ? ' (SASL_SSL, SCRAM-SHA-512)' : ''} in ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const ca = cluster.caPem;
  const securityInfo: LocalKafkaSecurity | undefined =
    user && ca !== undefined
      ? {
          protocol: 'sasl_ssl',
          mechanism: 'scram-sha-512',
          ca,
          user,
          service,
          wrongPassword: { username: user.username, password: randomSecret() },
        }
      : undefined;
  return {
    provider: 'maven',
    brokers: cluster.brokers,
    ...(securityInfo && { security: securityInfo }),
    get clientConfig() {
      return clientConfigOf(cluster.brokers, securityInfo);
    },
    stopNode: (id, signal) => cluster.stopNode(id, signal),
    startNode: (id) => cluster.startNode(id),
    stop: async () => {
      await cluster.stop();
      log('broker stopped and its data removed');
    },
  };
}

/** The SCRAM user name of the application user of a `sasl_ssl` broker (a super user). */
const APPLICATION_USER = 'rxkafka';

/** The SCRAM user name of the service user of a `sasl_ssl` broker (only what ACLs allow). */
const SERVICE_USER = 'rxkafka-service';

function clientConfigOf(
  brokers: readonly string[],
  security: LocalKafkaSecurity | undefined,
): LocalKafkaClientConfig {
  if (!security) return { brokers: [...brokers] };
  return {
    brokers: [...brokers],
    ssl: { ca: [security.ca] },
    sasl: { mechanism: security.mechanism, ...security.user },
  };
}

function externalKafka(brokers: readonly string[]): LocalKafka {
  const notOurs = () =>
    Promise.reject(
      new RxKafkaError(
        'RXK_BROKER_SETUP',
        'the brokers in KAFKA_BROKERS are not rxkafka processes: they cannot be stopped or started from here',
      ),
    );
  return {
    provider: 'env',
    brokers,
    get clientConfig() {
      return clientConfigOf(brokers, undefined);
    },
    stopNode: notOurs,
    startNode: notOurs,
    stop: async () => undefined,
  };
}

async function isDockerEngineRunning(): Promise<boolean> {
  const result = await runCommand('docker', ['info', '--format', '{{.ServerVersion}}'], {
    timeoutMs: 10_000,
  });
  return result.code === 0 && result.stdout.trim().length > 0;
}

async function startTestcontainersKafka(log: (message: string) => void): Promise<LocalKafka> {
  let module: typeof import('@testcontainers/kafka');
  try {
    // Optional: only users with a Docker engine need it installed.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    module = require('@testcontainers/kafka') as typeof import('@testcontainers/kafka');
  } catch (error) {
    throw new RxKafkaError(
      'RXK_BROKER_SETUP',
      'a Docker engine is running but @testcontainers/kafka is not installed: npm install -D @testcontainers/kafka@11, ' +
        "or choose provider 'maven', or set KAFKA_BROKERS.",
      { cause: error },
    );
  }
  log('starting confluentinc/cp-kafka:8.1.0 with testcontainers');
  // No watchdog here: testcontainers' own reaper (Ryuk) removes the container once this process is gone.
  const container = await new module.KafkaContainer('confluentinc/cp-kafka:8.1.0')
    // As kraft-cluster.ts's brokers: a KIP-848 group may ask for heartbeats down to 1 s.
    .withEnvironment({ KAFKA_GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS: '1000' })
    .start();
  const brokers = [`${container.getHost()}:${container.getMappedPort(9093)}`];
  const unsupported = () =>
    Promise.reject(new RxKafkaError('RXK_BROKER_SETUP', "stopping single nodes needs the 'maven' provider"));
  return {
    provider: 'testcontainers',
    brokers,
    get clientConfig() {
      return clientConfigOf(brokers, undefined);
    },
    stopNode: unsupported,
    startNode: unsupported,
    stop: async () => {
      await container.stop();
      log('broker container stopped');
    },
  };
}

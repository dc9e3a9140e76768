import { RxKafkaError } from '../errors';
import {
  assertJava17,
  DEFAULT_KAFKA_VERSION,
  ensureKafkaClasspath,
  resolveKafkaCacheDir,
} from './kafka-classpath';
import { KraftCluster } from './kraft-cluster';
import { runCommand } from './run-command';
import { waitForKafka } from './wait-for-kafka';

export type LocalKafkaProvider = 'env' | 'testcontainers' | 'maven';

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
  /** Apache Kafka version for the Maven provider. @defaultValue `$RXKAFKA_KAFKA_VERSION` or 4.1.1 */
  readonly kafkaVersion?: string;
  /** Folder for the downloaded jars. @defaultValue `$RXKAFKA_CACHE_DIR` or `.kafka/` at the project root */
  readonly cacheDir?: string;
  /** JVM heap per node. @defaultValue 512 */
  readonly heapMb?: number;
  /** How long to wait for the cluster to answer. @defaultValue 120000 */
  readonly startTimeoutMs?: number;
  /** Progress lines (download, start, stop). */
  readonly logger?: { info(message: string): void };
}

/** A running local Kafka: its addresses, and control over its processes where rxkafka started them. */
export interface LocalKafka {
  readonly provider: LocalKafkaProvider;
  readonly brokers: readonly string[];
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
 * each message naming the three ways to get a broker.
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

  const envBrokers = process.env.KAFKA_BROKERS?.split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  if (provider === 'env' || (provider === 'auto' && envBrokers && envBrokers.length > 0)) {
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

  if (provider === 'testcontainers' || (provider === 'auto' && (await isDockerEngineRunning()))) {
    return startTestcontainersKafka(log);
  }

  await assertJava17();
  const version = options.kafkaVersion ?? process.env.RXKAFKA_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
  const libs = await ensureKafkaClasspath({
    version,
    cacheDir: options.cacheDir ?? resolveKafkaCacheDir(),
    log,
  });
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
  });
  log(`broker ready at ${cluster.brokers.join(',')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    provider: 'maven',
    brokers: cluster.brokers,
    stopNode: (id, signal) => cluster.stopNode(id, signal),
    startNode: (id) => cluster.startNode(id),
    stop: async () => {
      await cluster.stop();
      log('broker stopped and its data removed');
    },
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
  return { provider: 'env', brokers, stopNode: notOurs, startNode: notOurs, stop: async () => undefined };
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
  const container = await new module.KafkaContainer('confluentinc/cp-kafka:8.1.0').start();
  const brokers = [`${container.getHost()}:${container.getMappedPort(9093)}`];
  const unsupported = () =>
    Promise.reject(new RxKafkaError('RXK_BROKER_SETUP', "stopping single nodes needs the 'maven' provider"));
  return {
    provider: 'testcontainers',
    brokers,
    stopNode: unsupported,
    startNode: unsupported,
    stop: async () => {
      await container.stop();
      log('broker container stopped');
    },
  };
}

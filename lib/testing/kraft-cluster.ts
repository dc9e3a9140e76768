import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RxKafkaError } from '../errors';
import { BrokerWatchdog, type WatchedProcess } from './broker-watchdog';
import { tail } from './kafka-classpath';
import { findFreePorts, isPortFree } from './free-port';
import { randomSecret } from './random-secret';
import { createThrowawayTls, type ThrowawayTls } from './throwaway-tls';
import { waitForKafka, type WaitForKafkaOptions } from './wait-for-kafka';

/** A SCRAM user: its name and password. */
export interface ScramCredentials {
  readonly username: string;
  readonly password: string;
}

/** How a cluster secures its client and inter-broker listener (the controller listener stays PLAINTEXT). */
export interface KraftSecurityOptions {
  /**
   * The application user, created as a SCRAM-SHA-512 credential when the storage is formatted, and a super
   * user of the cluster's authorizer. Readiness is checked with it, over TLS. A second user, for the brokers'
   * own connections, is made up by the cluster.
   */
  readonly user: ScramCredentials;
  /**
   * More SCRAM-SHA-512 users, created with `user`. They are not super users: the authorizer
   * (`StandardAuthorizer`) refuses them everything no ACL allows.
   */
  readonly otherUsers?: readonly ScramCredentials[];
}

export interface KraftClusterOptions {
  /** Folder of the Kafka jars (see ensureKafkaClasspath). */
  readonly libs: string;
  /** Number of nodes; each is broker and controller (combined mode). */
  readonly nodes: number;
  /** Client ports to use, one per node; free ports are picked when absent. */
  readonly ports?: readonly number[];
  readonly heapMb: number;
  readonly startTimeoutMs: number;
  readonly log: (message: string) => void;
  /**
   * Secures the client and inter-broker listener with SASL_SSL (SCRAM-SHA-512, a throwaway CA made with keytool
   * in the cluster's temp folder). Absent: one PLAINTEXT listener, no authentication.
   */
  readonly security?: KraftSecurityOptions;
}

/** The secrets of a secured cluster; they live as long as its temp folder. */
interface KraftSecrets {
  readonly tls: ThrowawayTls;
  readonly user: ScramCredentials;
  readonly interBroker: ScramCredentials;
  readonly otherUsers: readonly ScramCredentials[];
}

/** The SCRAM user the brokers authenticate as on the inter-broker listener. */
const INTER_BROKER_USER = 'rxkafka-inter-broker';

interface KraftNode {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
  process?: WatchedProcess;
  exited?: Promise<void>;
  stopping?: boolean;
}

/**
 * A KRaft cluster of real Apache Kafka JVMs on loopback, formatted into a fresh temporary folder. Nodes can be
 * stopped (gracefully or killed) and started again on the same ports and data, which fault tests need.
 */
export class KraftCluster {
  readonly #options: KraftClusterOptions;
  readonly #nodes: KraftNode[];
  readonly #root: string;
  readonly #watchdog: BrokerWatchdog;
  #secrets?: KraftSecrets;

  private constructor(options: KraftClusterOptions, nodes: KraftNode[], root: string) {
    this.#options = options;
    this.#nodes = nodes;
    this.#root = root;
    // Every JVM of the cluster runs under it: none, nor the folder, outlives this process, however it ends.
    this.#watchdog = BrokerWatchdog.start(root);
  }

  /** Formats and starts every node, resolving once the cluster answers metadata requests with all brokers. */
  static async start(options: KraftClusterOptions): Promise<KraftCluster> {
    const ports = await resolvePorts(options);
    // Distinct from the client ports: a node refuses two listeners on one port.
    const controllerPorts = await findFreePorts(options.nodes, '127.0.0.1', ports);
    const root = mkdtempSync(join(tmpdir(), 'rxkafka-broker-'));
    const nodes = ports.map((port, index) => ({
      id: index + 1,
      port,
      controllerPort: controllerPorts[index],
      dir: join(root, `node-${index + 1}`),
    }));
    const cluster = new KraftCluster(options, nodes, root);
    try {
      if (options.security) await cluster.#makeSecrets(options.security);
      await cluster.#format();
      await Promise.all(nodes.map((node) => cluster.#spawn(node)));
      await cluster.#awaitReady(nodes.length);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** `host:port` of every node, in node-id order. */
  get brokers(): string[] {
    return this.#nodes.map((node) => `127.0.0.1:${node.port}`);
  }

  /** The throwaway CA certificate (PEM) that clients must trust; undefined for a plaintext cluster. */
  get caPem(): string | undefined {
    return this.#secrets?.tls.caPem;
  }

  /** Node ids that have a running process. */
  get runningNodeIds(): number[] {
    return this.#nodes.filter((node) => node.process).map((node) => node.id);
  }

  /** Stops one node: SIGTERM (controlled shutdown) by default, SIGKILL to simulate a crash. */
  async stopNode(id: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await this.#terminate(this.#node(id), signal);
    this.#options.log(`node ${id} stopped (${signal})`);
  }

  /** Starts a stopped node again on its old ports and data. */
  async startNode(id: number): Promise<void> {
    const node = this.#node(id);
    if (node.process) return;
    await this.#spawn(node);
    // Seeded with this node alone, the admin client connects only once the node itself answers.
    await this.#awaitReady(this.runningNodeIds.length, [`127.0.0.1:${node.port}`]);
    this.#options.log(`node ${id} started again on 127.0.0.1:${node.port}`);
  }

  /** Stops every node and removes the data folder. */
  async stop(): Promise<void> {
    await Promise.all(this.#nodes.map((node) => this.#terminate(node, 'SIGTERM')));
    await this.#watchdog.close();
    rmSync(this.#root, { recursive: true, force: true });
  }

  #node(id: number): KraftNode {
    const node = this.#nodes.find((candidate) => candidate.id === id);
    if (!node) throw new RangeError(`no node ${id}: this cluster has nodes 1..${this.#nodes.length}`);
    return node;
  }

  async #makeSecrets(security: KraftSecurityOptions): Promise<void> {
    const dir = join(this.#root, 'tls');
    const interBroker = { username: INTER_BROKER_USER, password: randomSecret() };
    this.#options.log(
      `securing the client and inter-broker listener with SASL_SSL: SCRAM-SHA-512 users '${security.user.username}' ` +
        `(application), '${interBroker.username}' (inter-broker)` +
        (security.otherUsers ?? []).map((other) => `, '${other.username}'`).join('') +
        `, a throwaway CA made with keytool in ${dir}; an authorizer with the first two as super users`,
    );
    const started = Date.now();
    const tls = await createThrowawayTls({ dir });
    this.#options.log(`CA and broker certificate ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    this.#secrets = { tls, user: security.user, interBroker, otherUsers: security.otherUsers ?? [] };
  }

  async #format(): Promise<void> {
    // StorageTool reads an id starting with '-' as an option (about 1 in 64 base64url ids).
    let clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
    // SCRAM users go into the bootstrap metadata; the brokers read them before they open their listeners.
    // StorageTool takes them only as arguments, so both throwaway passwords are visible to `ps` on this
    // machine for the seconds the format runs (a salted SCRAM password would log in just as well).
    const scram = this.#secrets
      ? [this.#secrets.user, this.#secrets.interBroker, ...this.#secrets.otherUsers].flatMap((user) => [
          '--add-scram',
          `SCRAM-SHA-512=[name=${user.username},password=${user.password}]`,
        ])
      : [];
    for (const node of this.#nodes) {
      mkdirSync(join(node.dir, 'data'), { recursive: true });
      writeFileSync(join(node.dir, 'server.properties'), this.#renderProperties(node));
      writeFileSync(join(node.dir, 'log4j2.properties'), LOG4J2_PROPERTIES);
      // A static quorum (controller.quorum.voters) is formatted without --standalone.
      const result = await this.#watchdog.run(
        'java',
        [
          ...this.#jvmArgs(node),
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          join(node.dir, 'server.properties'),
          ...scram,
        ],
        { timeoutMs: 120_000 },
      );
      if (result.code !== 0) {
        throw new RxKafkaError(
          'RXK_BROKER_SETUP',
          `formatting the Kafka storage of node ${node.id} failed (exit ${result.code}):\n${this.#redact(tail(result.stdout + result.stderr, 15))}`,
        );
      }
    }
  }

  async #spawn(node: KraftNode): Promise<void> {
    const child = this.#watchdog.spawn(
      'java',
      [...this.#jvmArgs(node), 'kafka.Kafka', join(node.dir, 'server.properties')],
      { logFile: join(node.dir, 'broker.log') },
    );
    node.process = child;
    node.exited = child.exited.then(({ code, signal, failure }) => {
      if (node.process === child) node.process = undefined;
      if (!node.stopping) {
        this.#options.log(
          `node ${node.id} exited unexpectedly (code ${code}, signal ${signal})${failure ? `: ${failure.message}` : ''}`,
        );
      }
    });
    void child.pid.then((pid) => {
      if (pid !== undefined) this.#options.log(`node ${node.id} runs as pid ${pid}, its data in ${node.dir}`);
    });
  }

  async #awaitReady(expectedBrokers: number, seeds: readonly string[] = this.brokers): Promise<void> {
    const failed = this.#nodes.map(
      (node) =>
        node.exited?.then(() => {
          throw this.#startFailure(node);
        }) ?? new Promise<never>(() => undefined),
    );
    const ready = waitForKafka(seeds, {
      timeoutMs: this.#options.startTimeoutMs,
      expectedBrokers,
      ...this.#readinessClient(),
    });
    try {
      await Promise.race([ready, ...failed]);
    } finally {
      failed.forEach((promise) => promise.catch(() => undefined));
    }
  }

  /** kafkajs TLS and SASL settings of the application user, for the readiness check of a secured cluster. */
  #readinessClient(): Pick<WaitForKafkaOptions, 'ssl' | 'sasl'> {
    if (!this.#secrets) return {};
    const { tls, user } = this.#secrets;
    return {
      ssl: { ca: [tls.caPem] },
      sasl: { mechanism: 'scram-sha-512', username: user.username, password: user.password },
    };
  }

  /** `text` with every secret of this cluster replaced, for error messages that quote tool output or logs. */
  #redact(text: string): string {
    if (!this.#secrets) return text;
    const { tls, user, interBroker, otherUsers } = this.#secrets;
    const secrets = [
      user.password,
      interBroker.password,
      ...otherUsers.map((other) => other.password),
      tls.keystorePassword,
      tls.truststorePassword,
    ];
    return secrets.reduce((redacted, secret) => redacted.split(secret).join('[hidden]'), text);
  }

  #startFailure(node: KraftNode): RxKafkaError {
    const log = existsSync(join(node.dir, 'broker.log'))
      ? readFileSync(join(node.dir, 'broker.log'), 'utf8')
      : '';
    const portTaken = /Address already in use|BindException/.test(log);
    const hint = portTaken
      ? ` Port ${node.port} or ${node.controllerPort} is taken by another process: free it or choose other ports.`
      : '';
    return new RxKafkaError(
      'RXK_BROKER_SETUP',
      `Kafka node ${node.id} exited before it was ready.${hint} Last lines of its log:\n${this.#redact(tail(log, 15))}`,
    );
  }

  async #terminate(node: KraftNode, signal: NodeJS.Signals): Promise<void> {
    const child = node.process;
    if (!child) return;
    node.stopping = true;
    child.kill(signal);
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await node.exited;
    clearTimeout(killTimer);
    node.process = undefined;
    node.stopping = false;
  }

  #jvmArgs(node: KraftNode): string[] {
    return [
      `-Xms${Math.min(256, this.#options.heapMb)}m`,
      `-Xmx${this.#options.heapMb}m`,
      `-Dlog4j2.configurationFile=${join(node.dir, 'log4j2.properties')}`,
      `-Dkafka.logs.dir=${node.dir}`,
      '-cp',
      join(this.#options.libs, '*'),
    ];
  }

  #renderProperties(node: KraftNode): string {
    const count = this.#nodes.length;
    const replication = Math.min(3, count);
    const voters = this.#nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
    // The client port's listener, also used between brokers; named after its security protocol.
    const listener = this.#secrets ? 'SASL_SSL' : 'PLAINTEXT';
    return [
      'process.roles=broker,controller',
      `node.id=${node.id}`,
      `controller.quorum.voters=${voters}`,
      `listeners=${listener}://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
      `advertised.listeners=${listener}://127.0.0.1:${node.port}`,
      'controller.listener.names=CONTROLLER',
      `inter.broker.listener.name=${listener}`,
      `listener.security.protocol.map=CONTROLLER:PLAINTEXT,${listener}:${listener}`,
      `log.dirs=${join(node.dir, 'data')}`,
      'num.partitions=1',
      // Topics are created explicitly (admin API); auto-creation would hide a missing reply topic.
      'auto.create.topics.enable=false',
      `offsets.topic.replication.factor=${replication}`,
      'offsets.topic.num.partitions=4',
      `transaction.state.log.replication.factor=${replication}`,
      `transaction.state.log.min.isr=${Math.min(2, count)}`,
      'transaction.state.log.num.partitions=4',
      `share.coordinator.state.topic.replication.factor=${replication}`,
      `share.coordinator.state.topic.min.isr=${Math.min(2, count)}`,
      `default.replication.factor=${replication}`,
      // Fence a dead broker after 3 s instead of 9 s, so leaders move while a client's retries last.
      'broker.heartbeat.interval.ms=500',
      'broker.session.timeout.ms=3000',
      // The first group join would otherwise wait 3 s for more members.
      'group.initial.rebalance.delay.ms=0',
      // A KIP-848 group may ask for heartbeats down to 1 s (consumer.heartbeat.interval.ms, a group config):
      // its moving partitions wait for them. The default stays the broker's 5 s.
      'group.consumer.min.heartbeat.interval.ms=1000',
      'num.network.threads=2',
      'num.io.threads=2',
      ...this.#securityProperties(),
      '',
    ].join('\n');
  }

  /** SASL_SSL settings of the client/inter-broker listener, and the authorizer; none for a plaintext cluster. */
  #securityProperties(): string[] {
    if (!this.#secrets) return [];
    const { tls, user, interBroker } = this.#secrets;
    return [
      // Only super users and what ACLs allow (allow.everyone.if.no.acl.found stays false). ANONYMOUS is the
      // principal of the PLAINTEXT controller listener, which the nodes use among themselves.
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      `super.users=User:${user.username};User:${interBroker.username};User:ANONYMOUS`,
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
      // The inter-broker user's password must be here: the broker logs in with it. The application user's is not.
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule ' +
        `required username="${interBroker.username}" password="${interBroker.password}";`,
      'ssl.keystore.type=PKCS12',
      `ssl.keystore.location=${tls.keystorePath}`,
      `ssl.keystore.password=${tls.keystorePassword}`,
      `ssl.key.password=${tls.keystorePassword}`,
      // The truststore is for the brokers' own TLS connections to each other; clients present no certificate.
      'ssl.truststore.type=PKCS12',
      `ssl.truststore.location=${tls.truststorePath}`,
      `ssl.truststore.password=${tls.truststorePassword}`,
      'ssl.client.auth=none',
    ];
  }
}

async function resolvePorts(options: KraftClusterOptions): Promise<number[]> {
  if (!options.ports) return findFreePorts(options.nodes);
  if (options.ports.length !== options.nodes) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      `ports lists ${options.ports.length} ports for ${options.nodes} nodes: give one per node`,
      {
        path: 'ports',
      },
    );
  }
  for (const port of options.ports) {
    if (!(await isPortFree(port))) {
      throw new RxKafkaError(
        'RXK_BROKER_SETUP',
        `cannot start a local Kafka broker on 127.0.0.1:${port}: the port is taken by another process. Stop it, ` +
          'choose another port, or omit the port to get a free one.',
      );
    }
  }
  return [...options.ports];
}

/** Warnings and errors only: the broker's INFO output is large and rarely useful in tests. */
const LOG4J2_PROPERTIES = [
  'status = error',
  'appender.console.type = Console',
  'appender.console.name = STDOUT',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = warn',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  'logger.server.name = kafka.server.KafkaRaftServer',
  'logger.server.level = info',
  '',
].join('\n');

import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RxKafkaError } from '../errors';
import { tail } from './kafka-classpath';
import { findFreePorts, isPortFree } from './free-port';
import { runCommand } from './run-command';
import { waitForKafka } from './wait-for-kafka';

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
}

interface KraftNode {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
  process?: ChildProcess;
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
  readonly #onExit = () => this.#killAllSync();

  private constructor(options: KraftClusterOptions, nodes: KraftNode[], root: string) {
    this.#options = options;
    this.#nodes = nodes;
    this.#root = root;
  }

  /** Formats and starts every node, resolving once the cluster answers metadata requests with all brokers. */
  static async start(options: KraftClusterOptions): Promise<KraftCluster> {
    const ports = await resolvePorts(options);
    const controllerPorts = await findFreePorts(options.nodes);
    const root = mkdtempSync(join(tmpdir(), 'rxkafka-broker-'));
    const nodes = ports.map((port, index) => ({
      id: index + 1,
      port,
      controllerPort: controllerPorts[index],
      dir: join(root, `node-${index + 1}`),
    }));
    const cluster = new KraftCluster(options, nodes, root);
    process.once('exit', cluster.#onExit);
    try {
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
    process.removeListener('exit', this.#onExit);
    rmSync(this.#root, { recursive: true, force: true });
  }

  #node(id: number): KraftNode {
    const node = this.#nodes.find((candidate) => candidate.id === id);
    if (!node) throw new RangeError(`no node ${id}: this cluster has nodes 1..${this.#nodes.length}`);
    return node;
  }

  async #format(): Promise<void> {
    // StorageTool reads an id starting with '-' as an option (about 1 in 64 base64url ids).
    let clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
    for (const node of this.#nodes) {
      mkdirSync(join(node.dir, 'data'), { recursive: true });
      writeFileSync(join(node.dir, 'server.properties'), this.#renderProperties(node));
      writeFileSync(join(node.dir, 'log4j2.properties'), LOG4J2_PROPERTIES);
      // A static quorum (controller.quorum.voters) is formatted without --standalone.
      const result = await runCommand(
        'java',
        [
          ...this.#jvmArgs(node),
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          join(node.dir, 'server.properties'),
        ],
        { timeoutMs: 120_000 },
      );
      if (result.code !== 0) {
        throw new RxKafkaError(
          'RXK_BROKER_SETUP',
          `formatting the Kafka storage of node ${node.id} failed (exit ${result.code}):\n${tail(result.stdout + result.stderr, 15)}`,
        );
      }
    }
  }

  async #spawn(node: KraftNode): Promise<void> {
    const logFile = join(node.dir, 'broker.log');
    const fd = openSync(logFile, 'a');
    const child = spawn(
      'java',
      [...this.#jvmArgs(node), 'kafka.Kafka', join(node.dir, 'server.properties')],
      {
        stdio: ['ignore', fd, fd],
      },
    );
    closeSync(fd);
    node.process = child;
    node.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      if (node.process === child) node.process = undefined;
      if (!node.stopping)
        this.#options.log(`node ${node.id} exited unexpectedly (code ${code}, signal ${signal})`);
    });
  }

  async #awaitReady(expectedBrokers: number, seeds: readonly string[] = this.brokers): Promise<void> {
    const failed = this.#nodes.map(
      (node) =>
        node.exited?.then(() => {
          throw this.#startFailure(node);
        }) ?? new Promise<never>(() => undefined),
    );
    const ready = waitForKafka(seeds, { timeoutMs: this.#options.startTimeoutMs, expectedBrokers });
    try {
      await Promise.race([ready, ...failed]);
    } finally {
      failed.forEach((promise) => promise.catch(() => undefined));
    }
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
      `Kafka node ${node.id} exited before it was ready.${hint} Last lines of its log:\n${tail(log, 15)}`,
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

  #killAllSync(): void {
    for (const node of this.#nodes) node.process?.kill('SIGKILL');
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
    return [
      'process.roles=broker,controller',
      `node.id=${node.id}`,
      `controller.quorum.voters=${voters}`,
      `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
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
      'num.network.threads=2',
      'num.io.threads=2',
      '',
    ].join('\n');
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

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  DEFAULT_KAFKA_VERSION,
  ensureKafkaClasspath,
  resolveKafkaCacheDir,
} from '../../../lib/testing/kafka-classpath';

/** A record exactly as the Java client read it: bytes (null stays null), headers in wire order. */
export interface PeerRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<readonly [string, Buffer | null]>;
}

/** What to produce: the value's exact bytes, an optional key, and headers in order (strings go as UTF-8). */
export interface PeerMessage {
  readonly value: Buffer | null;
  readonly key?: Buffer | string | null;
  readonly headers?: ReadonlyArray<readonly [string, string | Buffer | null]>;
  /** An explicit partition; without it the Java client's default partitioner picks one. */
  readonly partition?: number;
}

export interface RawWirePeerOptions {
  /** Apache Kafka version whose client jars run the peer. @defaultValue `$RXKAFKA_KAFKA_VERSION` or 4.4.0 */
  readonly kafkaVersion?: string;
  /** How long the JVM may take to compile the peer and start its clients. @defaultValue 60 s */
  readonly startTimeoutMs?: number;
  /** How long one produce or read may take before it fails. @defaultValue 45 s */
  readonly callTimeoutMs?: number;
  /** Progress (only a first-time jar download says anything). @defaultValue indented lines on stdout */
  readonly log?: (message: string) => void;
}

interface Pending {
  readonly op: string;
  readonly resolve: (reply: PeerReply) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface PeerReply {
  id?: number | null;
  ok?: boolean;
  error?: string;
  event?: string;
  clientVersion?: string;
  partition?: number;
  offset?: number;
  records?: WireRecord[];
}

interface WireRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
}

const SOURCE = join(__dirname, 'RawWirePeer.java');
const STDERR_LINES_KEPT = 40;
// A JVM that only runs a small client: C1 only, serial GC and CDS roughly halve its start.
const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto', '-Xmx256m'];

/**
 * An independent Kafka peer: the Apache Kafka Java client (spec/interop/support/RawWirePeer.java) in one
 * long-lived JVM, run from source on the broker's Maven Central jars and driven by line-delimited JSON.
 * It writes and reads records byte for byte, so specs can check the wire format without kafkajs in the loop.
 */
export class RawWirePeer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, Pending>();
  /** Calls that timed out here: their late answers are dropped. */
  readonly #abandoned = new Set<number>();
  readonly #stderr: string[] = [];
  readonly #callTimeoutMs: number;
  readonly #exited: Promise<void>;
  readonly #onProcessExit = () => this.#child.kill('SIGKILL');
  #nextId = 1;
  /** Set once the JVM can take no more commands: why. */
  #dead: Error | undefined;
  #ready: { resolve: (version: string) => void; reject: (error: Error) => void } | undefined;

  private constructor(child: ChildProcessWithoutNullStreams, callTimeoutMs: number) {
    this.#child = child;
    this.#callTimeoutMs = callTimeoutMs;
    this.#exited = new Promise((resolve) => child.once('close', () => resolve()));
    process.once('exit', this.#onProcessExit);

    createInterface({ input: child.stderr }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > STDERR_LINES_KEPT) this.#stderr.shift();
    });
    createInterface({ input: child.stdout }).on('line', (line) => this.#onLine(line));
    child.once('error', (error: NodeJS.ErrnoException) => {
      this.#die(
        error.code === 'ENOENT'
          ? new Error(
              'the raw-wire peer needs Java, which was not found on PATH: install a JDK 17+ ' +
                '(apt-get install openjdk-17-jdk-headless); it runs the Apache Kafka Java client from the broker jars',
            )
          : new Error(`cannot start the raw-wire peer JVM: ${error.message}`),
      );
    });
    child.once('close', (code, signal) => {
      const when = this.#ready ? ' before it was ready (it needs Java 17+ to run from source)' : '';
      this.#die(
        new Error(
          `the raw-wire peer JVM exited${when} (code ${code}, signal ${signal})${this.#stderrTail()}`,
        ),
      );
    });
    // A JVM that died mid-write must not crash the test run with EPIPE: the close above reports it.
    child.stdin.on('error', () => undefined);
  }

  /**
   * Starts the peer against `brokers` and resolves once its producer and consumer exist. Fetches the Kafka
   * jars with Maven first if they are not cached (as the local broker does).
   */
  static async start(brokers: readonly string[], options: RawWirePeerOptions = {}): Promise<RawWirePeer> {
    if (brokers.length === 0) throw new Error('RawWirePeer.start needs at least one broker address');
    const version = options.kafkaVersion ?? process.env.RXKAFKA_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
    const log =
      options.log ?? ((message: string) => process.stdout.write(`      [raw-wire-peer] ${message}\n`));
    const libs = await ensureKafkaClasspath({ version, cacheDir: resolveKafkaCacheDir(), log });
    const child = spawn(
      'java',
      [...JVM_FLAGS, '-Dlog4j2.level=warn', '-cp', join(libs, '*'), SOURCE, brokers.join(',')],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const peer = new RawWirePeer(child, options.callTimeoutMs ?? 45_000);
    const startTimeoutMs = options.startTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<string>((resolve, reject) => {
        peer.#ready = { resolve, reject };
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `the raw-wire peer JVM did not report ready within ${startTimeoutMs} ms${peer.#stderrTail()}`,
              ),
            ),
          startTimeoutMs,
        );
      });
    } catch (error) {
      await peer.stop();
      throw error;
    } finally {
      clearTimeout(timer);
      peer.#ready = undefined;
    }
    return peer;
  }

  /** Produces one record and resolves with where it landed, once the broker acknowledged it (acks=all). */
  async produce(topic: string, message: PeerMessage): Promise<{ partition: number; offset: number }> {
    const reply = await this.#call('produce', {
      topic,
      key: toBase64(message.key),
      value: toBase64(message.value),
      headers: (message.headers ?? []).map(([name, value]) => [name, toBase64(value)]),
      partition: message.partition ?? null,
    });
    return { partition: Number(reply.partition), offset: Number(reply.offset) };
  }

  /**
   * Every record `topic` holds up to each partition's end offset at the moment of the call, in partition,
   * then offset, order (no consumer group, nothing committed).
   */
  async read(topic: string): Promise<PeerRecord[]> {
    const reply = await this.#call('read', { topic });
    return (reply.records ?? []).map((record) => ({
      partition: record.partition,
      offset: record.offset,
      key: fromBase64(record.key),
      value: fromBase64(record.value),
      headers: record.headers.map(([name, value]): [string, Buffer | null] => [name, fromBase64(value)]),
    }));
  }

  /** Closes the Java clients and waits for the JVM to exit (killing it after 20 s). Safe to call twice. */
  async stop(): Promise<void> {
    process.removeListener('exit', this.#onProcessExit);
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.stdin.end();
      const killTimer = setTimeout(() => this.#child.kill('SIGKILL'), 20_000);
      await this.#exited;
      clearTimeout(killTimer);
    }
    this.#die(new Error('the raw-wire peer was stopped'));
  }

  #call(op: string, fields: Record<string, unknown>): Promise<PeerReply> {
    if (this.#dead) return Promise.reject(new Error(`raw-wire peer ${op}: ${this.#dead.message}`));
    const id = this.#nextId++;
    return new Promise<PeerReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        this.#abandoned.add(id);
        reject(
          new Error(
            `raw-wire peer ${op} ${JSON.stringify(fields.topic)} got no answer within ${this.#callTimeoutMs} ms`,
          ),
        );
      }, this.#callTimeoutMs);
      this.#pending.set(id, { op, resolve, reject, timer });
      this.#child.stdin.write(`${JSON.stringify({ id, op, ...fields })}\n`);
    }).then((reply) => {
      if (reply.ok !== true) {
        throw new Error(
          `raw-wire peer ${op} ${JSON.stringify(fields.topic)} failed: ${reply.error ?? 'no reason given'}`,
        );
      }
      return reply;
    });
  }

  #onLine(line: string): void {
    let reply: PeerReply;
    try {
      reply = JSON.parse(line) as PeerReply;
    } catch {
      // stdout carries protocol lines only: anything else means the peer is broken (or logs to stdout).
      this.#die(
        new Error(`the raw-wire peer wrote a line that is not protocol JSON: ${JSON.stringify(line)}`),
      );
      this.#child.kill('SIGKILL');
      return;
    }
    if (reply.event === 'ready') {
      this.#ready?.resolve(String(reply.clientVersion));
      return;
    }
    if (typeof reply.id === 'number' && this.#abandoned.delete(reply.id)) return;
    const pending = typeof reply.id === 'number' ? this.#pending.get(reply.id) : undefined;
    if (!pending) {
      // An answer to no call (an unparseable command has id null): fail everything rather than hang.
      this.#die(new Error(`the raw-wire peer answered no pending call: ${line}`));
      this.#child.kill('SIGKILL');
      return;
    }
    this.#pending.delete(reply.id as number);
    clearTimeout(pending.timer);
    pending.resolve(reply);
  }

  /** Marks the peer unusable and fails the start and every pending call with `error`. */
  #die(error: Error): void {
    if (!this.#dead) this.#dead = error;
    this.#ready?.reject(this.#dead);
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`raw-wire peer ${pending.op}: ${this.#dead.message}`));
      this.#pending.delete(id);
    }
  }

  #stderrTail(): string {
    return this.#stderr.length === 0 ? '' : `; its last stderr lines:\n${this.#stderr.join('\n')}`;
  }
}

function toBase64(value: Buffer | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return (typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('base64');
}

function fromBase64(value: string | null): Buffer | null {
  return value === null ? null : Buffer.from(value, 'base64');
}

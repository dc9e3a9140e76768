/**
 * What the parent tells a worker process (its spec on the command line, commands over IPC) and what the
 * worker reports back (IPC messages). Every worker runs one implementation in one role.
 */
import type { SoakMemoryReport } from './soak-memory';
import type { LatencySummary } from './stats';

/** The implementations under test. */
/** `nest-rxkafka`: a NestJS app on rxkafka/nestjs (RxKafkaStrategy and RxKafkaClientProxy). */
export type ImplementationName = 'rxkafka' | 'nest' | 'kafkajs' | 'nest-rxkafka';

/** The broker and names every role needs. */
interface KafkaSpec {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Write a V8 CPU profile of the measured window to this file. */
  readonly cpuProfilePath?: string;
}

/** Pre-produces `count` JSON events of about `valueBytes` bytes, keyed over `keys` keys. */
export interface LoaderSpec extends KafkaSpec {
  readonly role: 'loader';
  readonly count: number;
  readonly keys: number;
  readonly valueBytes: number;
}

/** Consumes `count` events from the beginning of the topic and reports the rate. */
export interface ConsumerSpec extends KafkaSpec {
  readonly role: 'consumer';
  readonly implementation: ImplementationName;
  readonly groupId: string;
  readonly count: number;
  /** 0: the handler does trivial synchronous work; otherwise it awaits a timer of this many ms. */
  readonly ioDelayMs: number;
  /** Run different keys of a partition concurrently, where the implementation can. */
  readonly keyConcurrency: boolean;
}

/** Serves a `sum` request/reply handler on the topic until told to stop. */
export interface ServerSpec extends KafkaSpec {
  readonly role: 'server';
  readonly implementation: ImplementationName;
  readonly groupId: string;
}

/** Sends `count` requests with `concurrency` in flight and measures each round trip. */
export interface ClientSpec extends KafkaSpec {
  readonly role: 'client';
  readonly implementation: ImplementationName;
  readonly groupId: string;
  readonly count: number;
  readonly concurrency: number;
  /** Requests sent before the measured ones (connection set-up, JIT), not counted. */
  readonly warmupCount: number;
  /** Soak mode: announce the end of warm-up after this share of `count`, and sample RSS every second. */
  readonly soakWarmupFraction?: number;
}

export type WorkerSpec = LoaderSpec | ConsumerSpec | ServerSpec | ClientSpec;

export interface LoadResult {
  readonly produced: number;
  readonly durationMs: number;
}

export interface ConsumeResult {
  /** From the first record handed to the handler to the `count`th handler finished. */
  readonly durationMs: number;
  readonly throughputPerS: number;
  /** CPU seconds over the measured window. */
  readonly cpuS: number;
  readonly peakRssMb: number;
  /** How long the implementation's close() took (its drain), after the window. */
  readonly closeMs: number;
}

/** The server's warm-up point is when the client announced the end of its warm-up. */
export interface ServeResult extends SoakMemoryReport {
  /** CPU seconds from the parent's `mark` (the client's measured phase began) to `stop`. */
  readonly cpuS: number;
  readonly peakRssMb: number;
}

export interface RequestResult extends SoakMemoryReport {
  readonly durationMs: number;
  readonly throughputPerS: number;
  readonly latency: LatencySummary;
  /** Replies whose value was not the expected sum (must be 0). */
  readonly wrongReplies: number;
  readonly cpuS: number;
  readonly peakRssMb: number;
}

/** Worker → parent. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'measuring' }
  | { readonly type: 'warm' }
  | { readonly type: 'result'; readonly result: LoadResult | ConsumeResult | ServeResult | RequestResult }
  | { readonly type: 'failed'; readonly message: string };

/** Parent → worker (servers only): start the CPU window, note the warm-up RSS, stop and report. */
export type ParentCommand = { readonly type: 'mark' } | { readonly type: 'warm' } | { readonly type: 'stop' };

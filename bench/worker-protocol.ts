/**
 * What the parent tells a worker process (its spec on the command line, commands over IPC) and what the
 * worker reports back (IPC messages). Every worker runs one implementation in one role.
 */
import type { SoakMemoryReport } from './soak-memory';
import type { LatencySummary } from './stats';

/**
 * The implementations under test. In the pipeline scenario (i), `rxkafka` is its exactly-once processor,
 * `kafkajs` a hand-written kafkajs transactional loop, `rxkafka-alo` rxkafka's at-least-once pipeline
 * as a NestJS user would write it (a KafkaServer handler producing through a KafkaClient), and
 * `rxkafka-stream` its at-least-once pipeline of observables (consume() → produceTo() → commitAfter()).
 * `nest-rxkafka`: a NestJS app on rxkafka/nestjs (RxKafkaStrategy and RxKafkaClientProxy).
 * `rxkafka-otel` and `kafkajs-otel`: `rxkafka` and `kafkajs` with an OpenTelemetry tracer SDK registered
 * (kafkajs instrumented by @opentelemetry/instrumentation-kafkajs), in (a) and (d).
 * `rxkafka-retry-topics`: `rxkafka` with `retryTopics` on its event handler, in (a) (nothing failing) and (r);
 * `rxkafka-retry-in-place`: `rxkafka` with in-place `retry` of the same backoff, in (r).
 * `rxkafka-inspector`: `rxkafka` with the inspector started on its server or client and its page open in a
 * headless browser, in (a) and (d).
 * `platformatic`: raw @platformatic/kafka, the same work as raw `kafkajs` hand-written on its Consumer and
 * Producer (in (i) on its transactions), in (a), (b), (d), (f), (g) and (i); `rxkafka-platformatic`: `rxkafka`
 * with `driver: 'platformatic'`, in (a) to (d), (f), (g) and (i).
 */
export type ImplementationName =
  | 'rxkafka'
  | 'nest'
  | 'kafkajs'
  | 'rxkafka-alo'
  | 'rxkafka-stream'
  | 'nest-rxkafka'
  | 'rxkafka-otel'
  | 'kafkajs-otel'
  | 'rxkafka-retry-topics'
  | 'rxkafka-retry-in-place'
  | 'rxkafka-inspector'
  | 'platformatic'
  | 'rxkafka-platformatic';

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
  /** rxkafka: consume through `consume()` + `commitAfter()` instead of a KafkaServer. */
  readonly streams?: boolean;
  /** (r): the events `failsOnce()` picks throw on their first run; the run ends once all `count` succeeded. */
  readonly failOnce?: boolean;
}

/** Serves a `sum` request/reply handler on the topic until told to stop. */
export interface ServerSpec extends KafkaSpec {
  readonly role: 'server';
  readonly implementation: ImplementationName;
  readonly groupId: string;
  /** (q): `'consumer'` joins with KIP-848's protocol (rxkafka on @platformatic/kafka only). */
  readonly groupProtocol?: 'consumer';
  /** (q): a classic member's heartbeat interval (kafkajs's `consumer.heartbeatInterval`); its default if unset. */
  readonly heartbeatIntervalMs?: number;
  /**
   * (q): load the implementation and report `ready`, but connect only on the parent's `join` command, then
   * report `joined`: the change is timed from the join, not from a process start.
   */
  readonly joinOnCommand?: boolean;
  /** (q): report each handled request's partition and time, and each change of the partitions held. */
  readonly reportOwnership?: boolean;
  /**
   * (q), with `joinOnCommand` and `reportOwnership`: report `joined` only once the server holds this many
   * partitions. Under KIP-848 listen() resolves before the broker has moved the joiner's share to it, and
   * the leave must not start while the join is still moving partitions.
   */
  readonly joinedWhenHolding?: number;
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
  /**
   * Send at this steady rate instead of keeping `concurrency` in flight: request i leaves at start + i/rate,
   * however many are unanswered, and its latency counts from then (a slow server cannot slow the sender).
   */
  readonly ratePerS?: number;
  /** (q): report each measured request's wall-clock send time and latency, not only their summary. */
  readonly reportSamples?: boolean;
}

/** Writes hostile records to the request topic (and stray replies to the reply topic) until told to stop. */
export interface HostileSpec extends KafkaSpec {
  readonly role: 'hostile';
  readonly replyTopic: string;
  readonly ratePerS: number;
}

/** Transforms `count` events of the topic into records of `outputTopic`, and reports the rate. */
export interface PipelineSpec extends KafkaSpec {
  readonly role: 'pipeline';
  readonly implementation: ImplementationName;
  readonly outputTopic: string;
  readonly groupId: string;
  readonly count: number;
  /** Input records per transaction at most (the transactional implementations). */
  readonly batchSize: number;
}

/** Reads the `count` pre-produced events of the topic from its beginning, outside any application group. */
export interface ReplayerSpec extends KafkaSpec {
  readonly role: 'replayer';
  /** rxkafka's `replay()` on either driver, or a raw kafkajs or @platformatic/kafka read. */
  readonly implementation: 'rxkafka' | 'kafkajs' | 'platformatic' | 'rxkafka-platformatic';
  readonly count: number;
}

/**
 * Builds an rxkafka projection of the `count` pre-produced events with snapshots, closes it, produces
 * `tailCount` more, then times a restart from the snapshot against a projection that replays everything.
 */
export interface ProjectorSpec extends KafkaSpec {
  readonly role: 'projector';
  readonly snapshotTopic: string;
  readonly count: number;
  readonly tailCount: number;
  readonly keys: number;
  readonly valueBytes: number;
}

export type WorkerSpec =
  | LoaderSpec
  | ConsumerSpec
  | ServerSpec
  | ClientSpec
  | ReplayerSpec
  | ProjectorSpec
  | PipelineSpec
  | HostileSpec;

/** The two projection starts of (h), each timed from projection() to its caughtUp$. */
export interface RestartResult {
  readonly fromSnapshotMs: number;
  readonly fullReplayMs: number;
  /** Records the restart from the snapshot applied (the tail), and the full replay applied (everything). */
  readonly appliedFromSnapshot: number;
  readonly appliedFull: number;
  /** Both starts ended in the same state. */
  readonly statesEqual: boolean;
  readonly cpuS: number;
  readonly peakRssMb: number;
}

/** What the hostile writer wrote, per kind. */
export interface HostileResult {
  readonly written: Readonly<Record<string, number>>;
}

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
  /** (r): the window and rate above are the healthy events'; this is the rest. */
  readonly retries?: RetryFigures;
}

/** (r): the events that never failed against every event, the retried ones included. */
export interface RetryFigures {
  /** Events that never failed: the window runs until the last of them succeeded. */
  readonly healthyCount: number;
  /** Events that failed once, then succeeded on a retry. */
  readonly failedOnceCount: number;
  /** From the first record handed to the handler until every event, retried ones included, succeeded. */
  readonly allDoneMs: number;
}

/** The server's warm-up point is when the client announced the end of its warm-up. */
export interface ServeResult extends SoakMemoryReport {
  /** CPU seconds from the parent's `mark` (the client's measured phase began) to `stop`. */
  readonly cpuS: number;
  readonly peakRssMb: number;
  /** (q): each handled request's partition and wall-clock time (`Date.now()` ms) as its handler began. */
  readonly handled?: { readonly partition: number[]; readonly atMs: number[] };
  /** (q): the partitions held from each `atMs` on, one entry a change (none held once stopped). */
  readonly ownership?: Array<{ readonly atMs: number; readonly partitions: readonly number[] }>;
}

export interface RequestResult extends SoakMemoryReport {
  /** (q): each measured request's wall-clock send time (`Date.now()` ms) and latency (ms), by index. */
  readonly samples?: { readonly sentAtMs: number[]; readonly latencyMs: number[] };
  readonly durationMs: number;
  readonly throughputPerS: number;
  readonly latency: LatencySummary;
  /** Replies whose value was not the expected sum (must be 0). */
  readonly wrongReplies: number;
  readonly cpuS: number;
  readonly peakRssMb: number;
}

export interface PipelineResult {
  /** From the first input handed to the transform to the `count`th committed (or acknowledged). */
  readonly durationMs: number;
  readonly throughputPerS: number;
  readonly cpuS: number;
  readonly peakRssMb: number;
  /** From a transaction's begin to its commit's answer (transactional implementations). */
  readonly transactionLatency?: LatencySummary;
  readonly transactions?: number;
}

/** Worker → parent. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'measuring' }
  | { readonly type: 'warm' }
  | { readonly type: 'joined' }
  | {
      readonly type: 'result';
      readonly result:
        | LoadResult
        | ConsumeResult
        | ServeResult
        | RequestResult
        | RestartResult
        | PipelineResult
        | HostileResult;
    }
  | { readonly type: 'failed'; readonly message: string };

/** Parent → worker (servers and the hostile writer): start the CPU window, note the warm-up RSS, stop and report. */
export type ParentCommand =
  | { readonly type: 'mark' }
  | { readonly type: 'warm' }
  | { readonly type: 'stop' }
  | { readonly type: 'join' };

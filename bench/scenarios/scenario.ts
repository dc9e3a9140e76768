/**
 * The five scenarios of issue 6, issue 14's (f) to (i), issue 15's (n) to (p), issue 26's (r) and issue 22's (s), sized by the command line: what runs, against which implementations, and
 * with which settings. bench/README.md explains what each one measures.
 */
import type { BenchOptions, ScenarioId } from '../bench-options';
import type { ImplementationName } from '../worker-protocol';

interface ScenarioBase {
  readonly id: ScenarioId;
  readonly title: string;
  readonly count: number;
  /**
   * An implementation's own N where the scenario's would take minutes (NestJS in (b) handles one event at a
   * time): compare rates, not totals. See `countOf`.
   */
  readonly countFor?: Partial<Record<ImplementationName, number>>;
  readonly implementations: readonly ImplementationName[];
  /** The implementation the target is about. @defaultValue 'rxkafka' */
  readonly subject?: ImplementationName;
  readonly repetitions: number;
  /** How long the measured phase of one run may take before it is failed. */
  readonly timeoutMs: number;
}

/** Pre-produced events on 8 partitions, consumed from the beginning. */
export interface EventScenario extends ScenarioBase {
  readonly kind: 'events';
  readonly partitions: number;
  readonly keys: number;
  readonly valueBytes: number;
  /** 0: trivial work; otherwise the handler awaits a timer of this many ms (I/O). */
  readonly ioDelayMs: number;
  readonly keyConcurrency: boolean;
  /** rxkafka consumes through `consume()` + `commitAfter()` instead of a KafkaServer (scenario f). */
  readonly streams?: boolean;
  /** One event in a hundred fails on its first run (`failsOnce()`, scenario r). */
  readonly failOnce?: boolean;
}

/** A sum server and a client with `concurrency` requests in flight. */
export interface RequestReplyScenario extends ScenarioBase {
  readonly kind: 'request-reply';
  readonly partitions: number;
  readonly concurrency: number;
  readonly warmupCount: number;
  /** Soak only: share of `count` after which RSS is noted and growth is measured from. */
  readonly soakWarmupFraction?: number;
  /** Send at this steady rate (an open loop) instead of keeping `concurrency` in flight; see ClientSpec. */
  readonly ratePerS?: number;
  /** Hostile records a second written beside the good requests (scenario s); 0 or absent: none. */
  readonly hostileRatePerS?: number;
}

/** Pre-produced events transformed into records of a second topic (consume-transform-produce). */
export interface PipelineScenario extends ScenarioBase {
  readonly kind: 'pipeline';
  readonly partitions: number;
  readonly keys: number;
  readonly valueBytes: number;
  /** Input records per transaction, the same for every transactional implementation. */
  readonly batchSize: number;
}

/** (g): pre-produced events read from the beginning by `replay()` and by a raw kafkajs `eachBatch` read. */
export interface ReplayScenario extends ScenarioBase {
  readonly kind: 'replay';
  readonly partitions: number;
  readonly keys: number;
  readonly valueBytes: number;
}

/** (h): a projection's restart from its snapshot against a full replay, after `tailCount` more events. */
export interface ProjectionRestartScenario extends ScenarioBase {
  readonly kind: 'projection-restart';
  readonly partitions: number;
  readonly keys: number;
  readonly valueBytes: number;
  readonly tailCount: number;
}

/**
 * (q): `SERVERS` servers of one group under request/reply at a steady rate; after `changeAfterMs` of the
 * measured phase a fourth joins, then one of the first leaves.
 */
export interface RebalanceScenario extends ScenarioBase {
  readonly kind: 'rebalance';
  readonly partitions: number;
  readonly servers: number;
  readonly ratePerS: number;
  readonly warmupCount: number;
  readonly changeAfterMs: number;
  /** Both groups' heartbeat interval (bench/group-heartbeat.ts); each side's default if unset. */
  readonly groupHeartbeatMs?: number;
}

export type Scenario =
  | EventScenario
  | RequestReplyScenario
  | ReplayScenario
  | ProjectionRestartScenario
  | PipelineScenario
  | RebalanceScenario;

/** How many records `implementation` gets in `scenario`. */
export function countOf(scenario: Scenario, implementation: ImplementationName): number {
  return scenario.countFor?.[implementation] ?? scenario.count;
}

/**
 * NestJS's N in (b): at about 190 events/s (one 5 ms wait after another), 1,000 events are a window of about
 * five seconds, like rxkafka's and raw kafkajs's full N at their rates.
 */
const NEST_IO_EVENTS = 1_000;

/**
 * NestJS's N in (a): at about 20,000 events/s, 200,000 are a window of about ten seconds; (a)'s full N
 * (sized for rxkafka's window) would take half a minute per repetition.
 */
const NEST_EVENTS = 200_000;

/** NestJS's N in (d): at about 2,400 requests/s, 50,000 are a window of about twenty seconds. */
const NEST_REQUESTS = 50_000;

const PARTITIONS = 8;

/**
 * The good requests' rate in (s): one NestJS keeps up with on a 2-core machine (its (d) is about 2,500 round
 * trips a second there), so both servers are measured at the same load.
 */
export const HOSTILE_MIX_RATE_PER_S = 1_000;

/** (q)'s request rate: steady, so that the latencies during the change are comparable with those around it. */
export const REBALANCE_RATE_PER_S = 500;

/** The scenarios selected by `options`, in order (a to e, issue 14's f to i, issue 15's n to p, issue 23's q, issue 26's r, issue 22's s). */
export function createScenarios(options: BenchOptions): Scenario[] {
  const { counts, repetitions } = options;
  const events = { kind: 'events', partitions: PARTITIONS, keys: 1_000, valueBytes: 1_024 } as const;
  const requests = { kind: 'request-reply', partitions: PARTITIONS } as const;
  const all: Record<ScenarioId, Scenario> = {
    a: {
      ...events,
      id: 'a',
      title: 'events, trivial handler',
      count: counts.a,
      countFor: { nest: Math.min(counts.a, NEST_EVENTS) },
      implementations: [
        'rxkafka',
        'kafkajs',
        'nest',
        'rxkafka-otel',
        'kafkajs-otel',
        'rxkafka-retry-topics',
        'rxkafka-inspector',
        'platformatic',
        'rxkafka-platformatic',
      ],
      repetitions,
      ioDelayMs: 0,
      keyConcurrency: false,
      timeoutMs: 60_000 + counts.a * 2,
    },
    b: {
      ...events,
      id: 'b',
      title: 'events, handler awaits 5 ms I/O',
      count: counts.b,
      countFor: { nest: Math.min(counts.b, NEST_IO_EVENTS) },
      implementations: ['rxkafka', 'kafkajs', 'nest', 'platformatic', 'rxkafka-platformatic'],
      repetitions,
      ioDelayMs: 5,
      keyConcurrency: true,
      timeoutMs: 60_000 + counts.b * 15,
    },
    c: {
      ...requests,
      id: 'c',
      title: 'request/reply, 1 in flight',
      count: counts.c,
      implementations: ['rxkafka', 'kafkajs', 'nest', 'rxkafka-platformatic'],
      repetitions,
      concurrency: 1,
      warmupCount: Math.min(100, Math.ceil(counts.c / 10)),
      timeoutMs: 60_000 + counts.c * 100,
    },
    d: {
      ...requests,
      id: 'd',
      title: 'request/reply, 256 in flight',
      count: counts.d,
      countFor: { nest: Math.min(counts.d, NEST_REQUESTS) },
      implementations: [
        'rxkafka',
        'kafkajs',
        'nest',
        'rxkafka-otel',
        'kafkajs-otel',
        'rxkafka-inspector',
        'platformatic',
        'rxkafka-platformatic',
      ],
      repetitions,
      concurrency: 256,
      warmupCount: Math.min(2_000, Math.ceil(counts.d / 10)),
      timeoutMs: 60_000 + counts.d * 5,
    },
    e: {
      ...requests,
      id: 'e',
      title: 'soak: request/reply, 256 in flight',
      count: counts.e,
      implementations: options.soakNest ? ['rxkafka', 'nest'] : ['rxkafka'],
      repetitions: 1,
      concurrency: 256,
      warmupCount: Math.min(2_000, Math.ceil(counts.e / 10)),
      soakWarmupFraction: 0.1,
      timeoutMs: 120_000 + counts.e * 2,
    },
    f: {
      ...events,
      id: 'f',
      title: 'events, consume() + commitAfter(), trivial map',
      count: counts.f,
      implementations: ['rxkafka', 'kafkajs', 'platformatic', 'rxkafka-platformatic'],
      repetitions,
      ioDelayMs: 0,
      keyConcurrency: false,
      streams: true,
      timeoutMs: 60_000 + counts.f * 2,
    },
    g: {
      kind: 'replay',
      partitions: PARTITIONS,
      keys: 1_000,
      valueBytes: 1_024,
      id: 'g',
      title: 'replay from earliest until caught up',
      count: counts.g,
      implementations: ['rxkafka', 'kafkajs', 'platformatic', 'rxkafka-platformatic'],
      repetitions,
      timeoutMs: 60_000 + counts.g,
    },
    h: {
      kind: 'projection-restart',
      partitions: PARTITIONS,
      keys: 1_000,
      valueBytes: 1_024,
      tailCount: Math.ceil(counts.h / 10),
      id: 'h',
      title: 'projection restart from a snapshot vs full replay',
      count: counts.h,
      implementations: ['rxkafka'],
      repetitions,
      timeoutMs: 120_000 + counts.h * 3,
    },
    i: {
      kind: 'pipeline',
      id: 'i',
      title: 'consume-transform-produce, exactly-once',
      partitions: PARTITIONS,
      keys: 1_000,
      valueBytes: 1_024,
      batchSize: 500,
      count: counts.i,
      implementations: [
        'rxkafka',
        'kafkajs',
        'rxkafka-platformatic',
        'platformatic',
        'rxkafka-stream',
        'rxkafka-alo',
      ],
      repetitions,
      timeoutMs: 60_000 + counts.i * 5,
    },
    // Issue 15: the same NestJS app on RxKafkaStrategy (and RxKafkaClientProxy) and on Transport.KAFKA.
    n: {
      ...events,
      id: 'n',
      title: 'NestJS app: events, handler awaits 5 ms I/O',
      count: counts.n,
      countFor: { nest: Math.min(counts.n, NEST_IO_EVENTS) },
      implementations: ['nest-rxkafka', 'nest'],
      subject: 'nest-rxkafka',
      repetitions,
      ioDelayMs: 5,
      keyConcurrency: true,
      timeoutMs: 60_000 + counts.n * 15,
    },
    o: {
      ...requests,
      id: 'o',
      title: 'NestJS app: request/reply, 256 in flight',
      count: counts.o,
      implementations: ['nest-rxkafka', 'nest'],
      subject: 'nest-rxkafka',
      repetitions,
      concurrency: 256,
      warmupCount: Math.min(2_000, Math.ceil(counts.o / 10)),
      timeoutMs: 60_000 + counts.o * 5,
    },
    // Issue 26: (b)'s workload with one event in a hundred failing once, retried through a retry topic or in
    // place with the same one-second wait; msgs/s is the healthy events' rate.
    r: {
      ...events,
      id: 'r',
      title: 'events, 5 ms I/O, 1 in 100 failing once: retry topics vs in place',
      count: counts.r,
      implementations: ['rxkafka-retry-topics', 'rxkafka-retry-in-place'],
      subject: 'rxkafka-retry-topics',
      repetitions,
      ioDelayMs: 5,
      keyConcurrency: true,
      failOnce: true,
      timeoutMs: 60_000 + counts.r * 15,
    },
    // Issue 22: good requests at a steady rate with hostile records mixed in (bench/roles/produce-hostile.ts).
    s: {
      ...requests,
      id: 's',
      title: `hostile mix: ${HOSTILE_MIX_RATE_PER_S} good requests/s, ${options.hostileRatePerS} hostile/s`,
      count: counts.s,
      implementations: ['rxkafka', 'nest'],
      repetitions,
      // Enough lanes for the warm-up only: the measured requests leave at the rate, however many are pending.
      concurrency: 64,
      warmupCount: Math.min(1_000, Math.ceil(counts.s / 10)),
      ratePerS: HOSTILE_MIX_RATE_PER_S,
      hostileRatePerS: options.hostileRatePerS,
      timeoutMs: 60_000 + counts.s * 5,
    },
    // Issue 23: a member joins and another leaves under load, kafkajs's eager rebalance against KIP-848.
    q: {
      kind: 'rebalance',
      id: 'q',
      title:
        `request/reply at ${REBALANCE_RATE_PER_S}/s while a member joins and another leaves` +
        (options.groupHeartbeatMs ? `, heartbeats every ${options.groupHeartbeatMs} ms` : ''),
      // 12 partitions: 4 a member for 3 members, 3 for 4, so every change moves some and keeps others.
      partitions: 12,
      servers: 3,
      ratePerS: REBALANCE_RATE_PER_S,
      count: counts.q,
      implementations: ['rxkafka', 'rxkafka-platformatic'],
      subject: 'rxkafka-platformatic',
      repetitions,
      warmupCount: 500,
      changeAfterMs: Math.min(10_000, (counts.q / REBALANCE_RATE_PER_S) * 250),
      groupHeartbeatMs: options.groupHeartbeatMs,
      timeoutMs: 120_000 + counts.q * 5,
    },
    p: {
      ...events,
      id: 'p',
      title: 'NestJS app vs rxkafka controller: events, trivial handler',
      count: counts.p,
      implementations: ['nest-rxkafka', 'rxkafka'],
      subject: 'nest-rxkafka',
      repetitions,
      ioDelayMs: 0,
      keyConcurrency: false,
      timeoutMs: 60_000 + counts.p * 2,
    },
  };
  return options.scenarios.map((id) => withImplementations(all[id], options.implementations));
}

/** `scenario` restricted to the implementations chosen on the command line. */
function withImplementations(scenario: Scenario, chosen: readonly ImplementationName[]): Scenario {
  return { ...scenario, implementations: scenario.implementations.filter((name) => chosen.includes(name)) };
}

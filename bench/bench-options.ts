/**
 * `npm run bench -- [flags]`: what to run and how big. Parsed once, here; unknown flags fail with usage.
 */

import type { ImplementationName } from './worker-protocol';

/** The five scenarios of issue 6; issue 14's (f) consume(), (g) replay, (h) projection restart, (i) exactly-once; issue 15's NestJS-app scenarios (n, o, p); issue 23's rebalance under load (q); issue 26's retries (r); issue 22's hostile mix (s). */
export type ScenarioId =
  'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i' | 'n' | 'o' | 'p' | 'q' | 'r' | 's';

export const SCENARIO_IDS: readonly ScenarioId[] = [
  'a',
  'b',
  'c',
  'd',
  'e',
  'f',
  'g',
  'h',
  'i',
  'n',
  'o',
  'p',
  'q',
  'r',
  's',
];

export interface BenchOptions {
  readonly quick: boolean;
  /** Repetitions per scenario × implementation (the soak always runs once). */
  readonly repetitions: number;
  readonly scenarios: readonly ScenarioId[];
  /** Implementations to run (a scenario runs those of them it supports). */
  readonly implementations: readonly ImplementationName[];
  /** N per scenario: events, events, requests, requests, requests, events; (g), (h): pre-produced events; (i) input events; (n) events, (o) requests, (p) events; (r) events; (s) good requests. */
  readonly counts: Readonly<Record<ScenarioId, number>>;
  /** Also run NestJS in the soak. */
  readonly soakNest: boolean;
  /** Hostile records a second in (s); 0 measures the same good rate with none. */
  readonly hostileRatePerS: number;
  /** Write V8 CPU profiles of every worker's measured window into this folder. */
  readonly cpuProfileDir?: string;
  /** (q): the heartbeat both sides keep (kafkajs's `heartbeatInterval`, the KIP-848 group's config); each's default if unset. */
  readonly groupHeartbeatMs?: number;
}

// (a), (b), (d) and (f): on a quiet 2-core machine rxkafka handled up to 160,000 events a second in (a),
// 220,000 in (f) (1,000,000 gave it 4.4 s), 44,000 in (b) and 17,500 requests in (d), so these N give its measuring window at least
// 5 s (600,000, 150,000 and 50,000 gave 3.8, 3.5 and 2.9 s there).
const FULL_COUNTS: Record<ScenarioId, number> = {
  a: 1_000_000,
  b: 250_000,
  c: 2_000,
  d: 100_000,
  e: 1_000_000,
  f: 1_500_000,
  g: 500_000,
  h: 400_000,
  i: 300_000,
  n: 150_000,
  o: 50_000,
  p: 200_000,
  q: 15_000,
  r: 250_000,
  s: 8_000,
};
const QUICK_COUNTS: Record<ScenarioId, number> = {
  a: 20_000,
  b: 10_000,
  c: 300,
  d: 5_000,
  e: 50_000,
  f: 20_000,
  g: 20_000,
  h: 20_000,
  i: 10_000,
  n: 10_000,
  o: 5_000,
  p: 20_000,
  q: 10_000,
  r: 10_000,
  s: 2_000,
};

/** (s): a hostile record for about every ten good requests (1,000 a second). */
const HOSTILE_RATE_PER_S = 100;

const COUNT_FLAGS: Record<string, ScenarioId> = {
  '--events': 'a',
  '--io-events': 'b',
  '--latency': 'c',
  '--throughput': 'd',
  '--soak': 'e',
  '--stream-events': 'f',
  '--replay-events': 'g',
  '--projection-events': 'h',
  '--eos-events': 'i',
  '--nest-io-events': 'n',
  '--nest-throughput': 'o',
  '--nest-events': 'p',
  '--retry-events': 'r',
  '--rebalance-requests': 'q',
  '--hostile-mix': 's',
};

const IMPLEMENTATIONS: readonly ImplementationName[] = [
  'rxkafka',
  'kafkajs',
  'nest',
  'rxkafka-alo',
  'rxkafka-stream',
  'nest-rxkafka',
  'rxkafka-otel',
  'kafkajs-otel',
  'rxkafka-retry-topics',
  'rxkafka-retry-in-place',
  'rxkafka-inspector',
  'platformatic',
  'rxkafka-platformatic',
];

export const USAGE = `usage: npm run bench -- [--quick] [--reps N] [--only a,b,…,p] [--impl rxkafka,kafkajs,nest,…]
                       [--events N] [--io-events N] [--latency N] [--throughput N] [--soak N]
                       [--stream-events N] [--replay-events N] [--projection-events N] [--eos-events N]
                       [--nest-io-events N] [--nest-throughput N] [--nest-events N] [--retry-events N]
                       [--hostile-mix N] [--hostile-rate N] [--rebalance-requests N] [--group-heartbeat-ms N]
                       [--soak-nest] [--cpu-prof DIR]
  --quick        small N (a 20000, b 10000, c 300, d 5000, e 50000, f 20000, g 20000, h 20000, i 10000,
                 n 10000, o 5000, p 20000, q 10000, r 10000, s 2000) and 1 repetition: a smoke run
  --reps N       repetitions per scenario and implementation (default 3; the soak runs once)
  --only LIST    scenarios to run, e.g. --only a,c
  --impl LIST    implementations to run (default all), e.g. --impl rxkafka
                 (rxkafka-alo, rxkafka-stream: rxkafka's at-least-once pipelines, run in (i) only;
                 rxkafka-otel, kafkajs-otel: with a tracer SDK, kafkajs instrumented, in (a) and (d) only;
                 nest-rxkafka: NestJS on rxkafka/nestjs;
                 rxkafka-retry-topics: retryTopics on the handler, in (a) and (r);
                 rxkafka-retry-in-place: in-place retry, in (r) only;
                 rxkafka-inspector: the inspector attached, its page open in a headless browser, in (a) and (d);
                 platformatic: raw @platformatic/kafka, kafkajs's work, in (a), (b), (d), (f), (g), (i);
                 rxkafka-platformatic: rxkafka with driver: 'platformatic', in (a) to (d), (f), (g), (i))
  --events N     (a) events through a trivial handler            (default 1000000; NestJS at most 200000)
  --io-events N  (b) events through a handler awaiting 5 ms I/O  (default 250000; NestJS at most 1000)
  --latency N    (c) requests with 1 in flight                   (default 2000)
  --throughput N (d) requests with 256 in flight                 (default 100000)
  --soak N       (e) rxkafka requests with 256 in flight         (default 1000000)
  --stream-events N (f) events through consume() + commitAfter()  (default 1500000)
  --replay-events N      (g) events replayed                     (default 500000)
  --projection-events N  (h) events before the snapshot; 10% more after it (default 400000)
  --eos-events N (i) events through a consume-transform-produce pipeline (default 300000)
  --nest-io-events N  (n) a NestJS app's events awaiting 5 ms I/O, on RxKafkaStrategy and on
                      Transport.KAFKA                            (default 250000; NestJS at most 1000)
  --nest-throughput N (o) a NestJS app's requests, 256 in flight  (default 50000)
  --nest-events N     (p) a NestJS app's trivial events vs rxkafka's own controller (default 200000)
  --retry-events N    (r) events awaiting 5 ms I/O, 1 in 100 failing once: retry topics vs in-place retry
                      (default 250000)
  --rebalance-requests N (q) requests at 500/s to 3 servers while a 4th joins and one leaves: kafkajs's
                   eager rebalance (rxkafka) vs KIP-848 (rxkafka-platformatic)   (default 15000)
  --group-heartbeat-ms N (q) the heartbeat interval of both groups: kafkajs's consumer.heartbeatInterval
                   and the KIP-848 group's consumer.heartbeat.interval.ms (default: kafkajs 3000, broker 5000)
  --hostile-mix N  (s) good requests at 1000/s with hostile records mixed in (default 8000)
  --hostile-rate N (s) hostile records a second (default 100; 0: the same good rate with none)
  --soak-nest    run the soak with NestJS as well
  --cpu-prof DIR write a CPU profile of each worker's measured window into DIR
                 (summarise one with: npx ts-node bench/summarize-cpu-profile.ts FILE)`;

/** Parses the command line; throws with the usage text on anything it does not know. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const counts = { ...(quick ? QUICK_COUNTS : FULL_COUNTS) };
  let repetitions = quick ? 1 : 3;
  let scenarios: readonly ScenarioId[] = SCENARIO_IDS;
  let implementations = IMPLEMENTATIONS;
  let soakNest = false;
  let hostileRatePerS = HOSTILE_RATE_PER_S;
  let cpuProfileDir: string | undefined;
  let groupHeartbeatMs: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return next;
    };
    if (flag === '--quick') continue;
    else if (flag === '--soak-nest') soakNest = true;
    else if (flag === '--reps') repetitions = toPositiveInteger(flag, value());
    else if (flag === '--only') scenarios = toScenarioIds(value());
    else if (flag === '--impl') implementations = toImplementations(value());
    else if (flag === '--cpu-prof') cpuProfileDir = value();
    else if (flag === '--group-heartbeat-ms') groupHeartbeatMs = toPositiveInteger(flag, value());
    else if (flag === '--hostile-rate') hostileRatePerS = toNonNegativeInteger(flag, value());
    else if (flag in COUNT_FLAGS) counts[COUNT_FLAGS[flag]] = toPositiveInteger(flag, value());
    else throw new Error(`unknown argument ${flag}\n${USAGE}`);
  }
  return {
    quick,
    repetitions,
    scenarios,
    implementations,
    counts,
    soakNest,
    hostileRatePerS,
    cpuProfileDir,
    groupHeartbeatMs,
  };
}

function toNonNegativeInteger(flag: string, text: string): number {
  return text.trim() === '0' ? 0 : toPositiveInteger(flag, text);
}

function toPositiveInteger(flag: string, text: string): number {
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${flag} needs a whole number ≥ 1, got ${text}\n${USAGE}`);
  return value;
}

function toScenarioIds(text: string): ScenarioId[] {
  const ids = text.split(',').map((id) => id.trim().toLowerCase());
  const unknown = ids.filter((id) => !SCENARIO_IDS.includes(id as ScenarioId));
  if (unknown.length > 0)
    throw new Error(`--only takes scenarios ${SCENARIO_IDS.join(', ')}, got ${unknown.join(',')}\n${USAGE}`);
  return SCENARIO_IDS.filter((id) => ids.includes(id));
}

function toImplementations(text: string): ImplementationName[] {
  const names = text.split(',').map((name) => name.trim().toLowerCase());
  const unknown = names.filter((name) => !IMPLEMENTATIONS.includes(name as ImplementationName));
  if (unknown.length > 0)
    throw new Error(`--impl takes ${IMPLEMENTATIONS.join(', ')}, got ${unknown.join(',')}\n${USAGE}`);
  return IMPLEMENTATIONS.filter((name) => names.includes(name));
}

/**
 * Folds the repetitions of each scenario × implementation into one row: the median throughput, and the
 * latencies, CPU and RSS of the run that had it; then the ratios to the baselines.
 */
import type { ScenarioId } from './bench-options';
import type { RssGrowth } from './rss-growth';
import type { RunResult } from './run-result';
import { indexOfMedian, median, type LatencySummary } from './stats';
import type { ImplementationName } from './worker-protocol';

export interface ImplementationSummary {
  readonly scenario: ScenarioId;
  readonly implementation: ImplementationName;
  readonly count: number;
  /** Successful repetitions behind this row. */
  readonly repetitions: number;
  readonly throughputPerS: number;
  readonly throughputsPerS: readonly number[];
  readonly latency?: LatencySummary;
  readonly cpuS: Readonly<Record<string, number>>;
  readonly peakRssMb: Readonly<Record<string, number>>;
  readonly soak?: Readonly<Record<string, RssGrowth>>;
  /** (h): the median run's two projection starts. */
  readonly restart?: RunResult['restart'];
  /** (q): the median run's latencies during the membership change and around it. */
  readonly rebalance?: RunResult['rebalance'];
  /** (r): the median run's healthy and retried events, and the time until all were done. */
  readonly retries?: RunResult['retries'];
  /** This row's throughput over raw kafkajs's, in the same scenario. */
  readonly ratioVsKafkajs?: number;
  /** This row's throughput over NestJS's, in the same scenario. */
  readonly ratioVsNest?: number;
}

/** One summary per scenario × implementation that has at least one successful run, in run order. */
export function summarizeRuns(runs: readonly RunResult[]): ImplementationSummary[] {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) {
    const key = `${run.scenario}/${run.implementation}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const rows = [...groups.values()].map(toSummary);
  return rows.map((row) => {
    const baseline = (implementation: ImplementationName) =>
      row.implementation === implementation
        ? undefined
        : rows.find((other) => other.scenario === row.scenario && other.implementation === implementation);
    const kafkajs = baseline('kafkajs');
    const nest = baseline('nest');
    return {
      ...row,
      ratioVsKafkajs: kafkajs ? row.throughputPerS / kafkajs.throughputPerS : undefined,
      ratioVsNest: nest ? row.throughputPerS / nest.throughputPerS : undefined,
    };
  });
}

function toSummary(runs: RunResult[]): ImplementationSummary {
  const throughputsPerS = runs.map((run) => run.throughputPerS);
  const representative = runs[indexOfMedian(throughputsPerS)];
  return {
    scenario: representative.scenario,
    implementation: representative.implementation,
    count: representative.count,
    repetitions: runs.length,
    throughputPerS: median(throughputsPerS),
    throughputsPerS,
    latency: representative.latency,
    cpuS: representative.cpuS,
    peakRssMb: representative.peakRssMb,
    soak: representative.soak,
    restart: representative.restart,
    retries: representative.retries,
    rebalance: representative.rebalance,
  };
}

/**
 * One run of one implementation in one scenario, as the parent assembles it from its workers' reports.
 */
import type { ScenarioId } from './bench-options';
import type { RssGrowth } from './rss-growth';
import type { LatencySummary } from './stats';
import type { ImplementationName, RetryFigures } from './worker-protocol';

export interface RunResult {
  readonly scenario: ScenarioId;
  readonly implementation: ImplementationName;
  readonly repetition: number;
  readonly count: number;
  /** Events handled per second, or round trips per second. */
  readonly throughputPerS: number;
  readonly durationMs: number;
  readonly latency?: LatencySummary;
  /** CPU seconds over the measured window, per process (consumer; or server and client). */
  readonly cpuS: Readonly<Record<string, number>>;
  /** Peak RSS in MB over each process's life. */
  readonly peakRssMb: Readonly<Record<string, number>>;
  /** Time the loader took to pre-produce the events (event scenarios). */
  readonly loadMs?: number;
  /** Time the consumer's close() took after the window (event scenarios). */
  readonly closeMs?: number;
  readonly soak?: Readonly<Record<string, RssGrowth>>;
  /** (r): throughputPerS and durationMs are the healthy events'; the retried ones and the time until all are done. */
  readonly retries?: RetryFigures;
  /** (s): hostile records written during the run, per kind. */
  readonly hostileWritten?: Readonly<Record<string, number>>;
  /**
   * (q): from the new member's start until the leaving one has closed, and the latencies of the requests sent
   * during that change (and shortly after) against those sent before or after it.
   */
  readonly rebalance?: {
    readonly changeMs: number;
    readonly during: LatencySummary;
    readonly steady: LatencySummary;
    /** The join's and the leave's ownership change (see `bench/scenarios/ownership-change.ts`). */
    readonly join?: RebalanceChangeFigures;
    readonly leave?: RebalanceChangeFigures;
  };
  /** (h): the two projection starts, timed from projection() to caught up. */
  readonly restart?: {
    readonly fromSnapshotMs: number;
    readonly fullReplayMs: number;
    readonly appliedFromSnapshot: number;
    readonly appliedFull: number;
    readonly statesEqual: boolean;
  };
}

/** A run that failed: what is known of it and why. */
export interface FailedRun {
  readonly scenario: ScenarioId;
  readonly implementation: ImplementationName;
  readonly repetition: number;
  readonly error: string;
}

/** Total CPU seconds of a run, all its processes together. */
export function toTotalCpuSeconds(run: RunResult): number {
  return Object.values(run.cpuS).reduce((total, seconds) => total + seconds, 0);
}

/** One membership change of (q): its window, and the records handled on partitions that kept their owner. */
export interface RebalanceChangeFigures {
  /** From the first partition losing or changing owner to every one having one owner again. */
  readonly windowMs: number | undefined;
  readonly unmovedPartitions: number;
  readonly handledOnUnmoved: number;
}

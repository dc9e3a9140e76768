/**
 * Small statistics for the benchmark: medians of repetitions and latency percentiles of one run.
 */

/** Latency percentiles of one run, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** The median of `values` (the mean of the middle two for an even count). Throws on an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median() of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * The index of the run whose value is the median (the lower middle one for an even count), so that the
 * other figures of that run (latencies, CPU, RSS) can be reported alongside the median throughput.
 */
export function indexOfMedian(values: readonly number[]): number {
  if (values.length === 0) throw new Error('indexOfMedian() of an empty list');
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  return order[Math.floor((order.length - 1) / 2)].index;
}

/** The nearest-rank percentile `p` (0 < p ≤ 100) of an ascending array. */
export function percentileOfSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Summarises the first `count` latencies of `latenciesMs` (which it does not modify). */
export function summarizeLatencies(latenciesMs: Float64Array, count = latenciesMs.length): LatencySummary {
  const sorted = latenciesMs.slice(0, count).sort();
  let total = 0;
  for (const value of sorted) total += value;
  return {
    count,
    p50Ms: percentileOfSorted(sorted, 50),
    p90Ms: percentileOfSorted(sorted, 90),
    p99Ms: percentileOfSorted(sorted, 99),
    maxMs: count > 0 ? sorted[count - 1] : Number.NaN,
    meanMs: count > 0 ? total / count : Number.NaN,
  };
}

/**
 * How much a process's RSS grew over the soak. RSS saws up and down with every major GC, so two single
 * samples mostly measure where in the sawtooth they fell: the growth compares the median of the first
 * tenth of the per-second series (just after warm-up) with the median of its last tenth.
 */
import type { SoakMemoryReport } from './soak-memory';
import { median } from './stats';

/** RSS of one process across the soak. */
export interface RssGrowth {
  /** Median RSS of the first tenth of the series (at least 3 samples): "at warm-up end". */
  readonly atWarmMb: number;
  /** Median RSS of the last tenth of the series: "at the end". */
  readonly endMb: number;
  readonly growthPct: number;
  /** The single samples taken at the end of warm-up and at the end. */
  readonly warmSampleMb: number;
  readonly endSampleMb: number;
  /** RSS once a second after warm-up. */
  readonly seriesMb: readonly number[];
  /** Live heap after a full GC at the end of warm-up and at the end (see live-heap.ts). */
  readonly heapAtWarmMb?: number;
  readonly heapEndMb?: number;
}

const EDGE_SHARE = 0.1;
const MIN_EDGE_SAMPLES = 3;

/**
 * The growth from a process's soak report. With too short a series (under 6 s) it falls back to the two
 * single samples.
 */
export function toRssGrowth(report: SoakMemoryReport): RssGrowth {
  const series = report.rssSeriesMb ?? [];
  const warmSampleMb = report.rssAtWarmMb ?? Number.NaN;
  const edge = Math.max(MIN_EDGE_SAMPLES, Math.ceil(series.length * EDGE_SHARE));
  const hasSeries = series.length >= 2 * edge;
  const atWarmMb = hasSeries ? median(series.slice(0, edge)) : warmSampleMb;
  const endMb = hasSeries ? median(series.slice(-edge)) : report.rssEndMb;
  return {
    atWarmMb,
    endMb,
    growthPct: ((endMb - atWarmMb) / atWarmMb) * 100,
    warmSampleMb,
    endSampleMb: report.rssEndMb,
    seriesMb: series,
    heapAtWarmMb: report.heapAtWarmMb,
    heapEndMb: report.heapEndMb,
  };
}

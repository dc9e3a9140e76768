import type { ImplementationSummary } from '../../bench/summarize-runs';

/**
 * A bench summary row for the target specs: the median of `throughputsPerS` as its rate, CPU 1 s over 1,000
 * records, and `extra` on top.
 */
export function summaryRow(
  scenario: ImplementationSummary['scenario'],
  implementation: ImplementationSummary['implementation'],
  throughputsPerS: readonly number[],
  extra: Partial<ImplementationSummary> = {},
): ImplementationSummary {
  const sorted = [...throughputsPerS].sort((a, b) => a - b);
  return {
    scenario,
    implementation,
    count: 1_000,
    repetitions: throughputsPerS.length,
    throughputPerS: sorted[Math.floor(sorted.length / 2)],
    throughputsPerS,
    cpuS: { consumer: 1 },
    peakRssMb: { consumer: 200 },
    ...extra,
  };
}

/**
 * The table printed at the end of a benchmark: one row per scenario × implementation, the target and
 * verdict on the row of the scenario's subject (rxkafka's, or the NestJS-on-rxkafka app's).
 */
import type { FailedRun } from './run-result';
import { countOf, type Scenario } from './scenarios/scenario';
import type { ImplementationSummary } from './summarize-runs';
import type { TargetVerdict } from './targets';
import type { ImplementationName } from './worker-protocol';

const HEADER = [
  'scenario',
  'implementation',
  'N',
  'msgs/s',
  'p50 ms',
  'p99 ms',
  'CPU s',
  'peak RSS MB',
  '×kafkajs',
  '×NestJS',
  'target',
  'met',
];
const RIGHT_ALIGNED = new Set([
  'N',
  'msgs/s',
  'p50 ms',
  'p99 ms',
  'CPU s',
  'peak RSS MB',
  '×kafkajs',
  '×NestJS',
]);
const ORDER: readonly ImplementationName[] = [
  'nest-rxkafka',
  'rxkafka',
  'kafkajs',
  'rxkafka-platformatic',
  'platformatic',
  'nest',
  'rxkafka-stream',
  'rxkafka-alo',
  'rxkafka-otel',
  'kafkajs-otel',
  'rxkafka-retry-topics',
  'rxkafka-retry-in-place',
  'rxkafka-inspector',
];
const LABELS: Record<ImplementationName, string> = {
  rxkafka: 'rxkafka',
  kafkajs: 'raw kafkajs',
  nest: 'NestJS',
  'rxkafka-alo': 'rxkafka at-least-once, server + client',
  'rxkafka-stream': 'rxkafka at-least-once, consume()',
  'nest-rxkafka': 'NestJS on rxkafka',
  'rxkafka-otel': 'rxkafka, traced (OpenTelemetry SDK)',
  'kafkajs-otel': 'raw kafkajs, traced (instrumentation-kafkajs)',
  'rxkafka-retry-topics': 'rxkafka, retryTopics on the handler',
  'rxkafka-retry-in-place': 'rxkafka, in-place retry',
  'rxkafka-inspector': 'rxkafka, inspector attached (page open)',
  platformatic: 'raw @platformatic/kafka',
  'rxkafka-platformatic': 'rxkafka on @platformatic/kafka',
};

/** Renders the table as aligned text lines with a legend. */
export function formatReportTable(
  scenarios: readonly Scenario[],
  summaries: readonly ImplementationSummary[],
  verdicts: readonly TargetVerdict[],
  failures: readonly FailedRun[],
): string {
  const rows: string[][] = [];
  for (const scenario of scenarios) {
    const measured: readonly ImplementationName[] = scenario.implementations;
    const implementations = ORDER.filter((name) => measured.includes(name));
    for (const implementation of implementations) {
      const name = `(${scenario.id}) ${scenario.title}`;
      const summary = summaries.find(
        (s) => s.scenario === scenario.id && s.implementation === implementation,
      );
      const failed = failures.filter(
        (f) => f.scenario === scenario.id && f.implementation === implementation,
      );
      const verdict = verdicts.find(
        (v) =>
          v.scenario === scenario.id &&
          (v.implementation ?? scenario.subject ?? 'rxkafka') === implementation,
      );
      const target = verdict ? [`${verdict.target}: ${verdict.detail}`, toMet(verdict.met)] : ['', ''];
      if (!summary) {
        rows.push([
          name,
          LABELS[implementation],
          String(countOf(scenario, implementation)),
          `failed ×${failed.length}`,
          '',
          '',
          '',
          '',
          '',
          '',
          ...target,
        ]);
      } else {
        rows.push([name, LABELS[implementation], ...toFigures(summary, failed.length), ...target]);
      }
    }
  }
  return [
    ...alignColumns([HEADER, ...rows]),
    '',
    'msgs/s: median of the repetitions (events handled/s, or round trips/s); latencies, CPU and RSS from the median run.',
    'Request/reply rows: CPU s = server+client over the measured window; peak RSS = server/client.',
    '(i) exactly-once pipeline: p50/p99 = transaction latency (begin to committed); rxkafka = processExactlyOnce().',
    '(r) msgs/s = the healthy events (never failed) / the time until the last of them succeeded; CPU s until every event did.',
    '×kafkajs, ×NestJS: this row’s msgs/s over the baseline’s in the same scenario.',
  ].join('\n');
}

function toFigures(summary: ImplementationSummary, failedRuns: number): string[] {
  const cpu = Object.values(summary.cpuS);
  const rss = Object.values(summary.peakRssMb);
  return [
    String(summary.count),
    `${Math.round(summary.throughputPerS).toLocaleString('en-US')}${failedRuns > 0 ? ` (${failedRuns} failed)` : ''}`,
    summary.latency ? summary.latency.p50Ms.toFixed(2) : '',
    summary.latency ? summary.latency.p99Ms.toFixed(2) : '',
    cpu.map((seconds) => seconds.toFixed(2)).join('+'),
    rss.map((mb) => mb.toFixed(0)).join('/'),
    summary.ratioVsKafkajs === undefined ? '' : `${summary.ratioVsKafkajs.toFixed(2)}`,
    summary.ratioVsNest === undefined ? '' : `${summary.ratioVsNest.toFixed(2)}`,
  ];
}

function toMet(met: boolean | undefined): string {
  return met === undefined ? 'n/a' : met ? 'met' : 'NOT met';
}

function alignColumns(rows: readonly string[][]): string[] {
  const widths = HEADER.map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        RIGHT_ALIGNED.has(HEADER[column]) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]),
      )
      .join(' | ')
      .trimEnd();
  return [line(rows[0]), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.slice(1).map(line)];
}

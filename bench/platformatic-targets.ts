/**
 * Issue 23's targets for rxkafka on @platformatic/kafka (`rxkafka-platformatic`), shown on its row: at least
 * 0.9× raw @platformatic/kafka in (a) and (f) (what the runtime costs over the client it runs on), and at
 * least 1.0× rxkafka on kafkajs in (a) and (d) (the second client is worth having). In (i), which issue 23
 * set no target for, the same comparison with raw @platformatic/kafka is a figure to report.
 */
import type { ScenarioId } from './bench-options';
import type { ImplementationSummary } from './summarize-runs';
import { formatRatio, pairRatios, type TargetVerdict } from './targets';

const VS_RAW_PLATFORMATIC = 0.9;
const VS_RXKAFKA_ON_KAFKAJS = 1.0;

/** The baselines each scenario's target compares `rxkafka-platformatic` with. */
const BASELINES: Partial<Record<ScenarioId, ReadonlyArray<'platformatic' | 'rxkafka'>>> = {
  a: ['platformatic', 'rxkafka'],
  d: ['rxkafka'],
  f: ['platformatic'],
};

/** The scenarios whose comparison of `rxkafka-platformatic` with raw @platformatic/kafka is reported only. */
const REPORTED: ReadonlySet<ScenarioId> = new Set(['i']);

const MINIMUM = { platformatic: VS_RAW_PLATFORMATIC, rxkafka: VS_RXKAFKA_ON_KAFKAJS } as const;
const LABEL = { platformatic: 'raw platformatic', rxkafka: 'rxkafka on kafkajs' } as const;

/**
 * The verdict on `rxkafka-platformatic`'s row in (a), (d) and (f): met when its median rate is at least the
 * share of every baseline's (the repetitions' pairs in the detail); in (i), the ratio to raw
 * @platformatic/kafka as a report (neither met nor missed). Undefined outside those scenarios and when the
 * scenario ran without it; n/a when a baseline did not run.
 */
export function evaluatePlatformaticTarget(
  scenario: ScenarioId,
  summaries: readonly ImplementationSummary[],
): TargetVerdict | undefined {
  const baselines = BASELINES[scenario];
  const find = (implementation: ImplementationSummary['implementation']) =>
    summaries.find((row) => row.scenario === scenario && row.implementation === implementation);
  const subject = find('rxkafka-platformatic');
  if (!subject) return undefined;
  const compare = (name: 'platformatic' | 'rxkafka') => {
    const baseline = find(name);
    const ratio = baseline ? subject.throughputPerS / baseline.throughputPerS : undefined;
    const perRepetition = pairRatios(subject.throughputsPerS, baseline?.throughputsPerS);
    return {
      ratio,
      detail:
        `${formatRatio(ratio)} ${LABEL[name]}` +
        (perRepetition.length > 0 ? ` (repetitions ${perRepetition.map(formatRatio).join(', ')})` : ''),
    };
  };
  if (REPORTED.has(scenario)) {
    return {
      scenario,
      implementation: 'rxkafka-platformatic',
      target: `report, vs ${LABEL.platformatic}`,
      met: undefined,
      detail: compare('platformatic').detail,
    };
  }
  if (!baselines) return undefined;
  const comparisons = baselines.map((name) => {
    const { ratio, detail } = compare(name);
    return {
      met: ratio === undefined ? undefined : ratio >= MINIMUM[name],
      target: `≥${MINIMUM[name].toFixed(1)}× ${LABEL[name]}`,
      detail,
    };
  });
  return {
    scenario,
    implementation: 'rxkafka-platformatic',
    target: comparisons.map(({ target }) => target).join(', '),
    met: comparisons.some(({ met }) => met === undefined)
      ? undefined
      : comparisons.every(({ met }) => met === true),
    detail: comparisons.map(({ detail }) => detail).join('; '),
  };
}

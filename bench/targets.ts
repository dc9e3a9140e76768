/**
 * Issue 6's targets (and issue 14's for (f), issue 26's for retry topics, the inspector's cost), checked
 * against the summaries: each scenario's goal for rxkafka and whether this run met it. A target whose
 * baseline did not run is neither met nor missed.
 */
import type { ScenarioId } from './bench-options';
import type { ImplementationSummary } from './summarize-runs';
import type { RebalanceChangeFigures } from './run-result';

export interface TargetVerdict {
  readonly scenario: ScenarioId;
  readonly target: string;
  /** undefined when the figures the target needs are missing (a failed or skipped run). */
  readonly met: boolean | undefined;
  /** The measured figures the verdict rests on. */
  readonly detail: string;
  /** The row the verdict is shown on, when not the scenario's subject. */
  readonly implementation?: ImplementationSummary['implementation'];
}

const RSS_GROWTH_LIMIT_PCT = 10;
/** Issue 14: replay throughput at least this share of a raw kafkajs read's. */
const REPLAY_VS_KAFKAJS = 0.8;
/** Issue 26: with retry topics configured and nothing failing, at least this share of (a)'s rate without. */
const RETRY_TOPICS_VS_WITHOUT = 0.95;
/** With the inspector attached and its page open, at least this share of the rate without, in (a) and (d). */
const INSPECTOR_VS_WITHOUT = 0.9;

/** The verdict on `scenario`'s target, from that scenario's summaries. */
export function evaluateTarget(
  scenario: ScenarioId,
  summaries: readonly ImplementationSummary[],
): TargetVerdict {
  const find = (implementation: ImplementationSummary['implementation']) =>
    summaries.find((row) => row.scenario === scenario && row.implementation === implementation);
  const rxkafka = find('rxkafka');
  const nest = find('nest');
  const kafkajs = find('kafkajs');
  switch (scenario) {
    case 'a': {
      const vsKafkajs = rxkafka?.ratioVsKafkajs;
      const vsNest = rxkafka?.ratioVsNest;
      return {
        scenario,
        target: '≥0.8× kafkajs, ≥3× NestJS',
        met:
          vsKafkajs === undefined || vsNest === undefined || !kafkajs
            ? undefined
            : vsKafkajs >= 0.8 && vsNest >= 3,
        detail: `${formatRatio(vsKafkajs)} kafkajs, ${formatRatio(vsNest)} NestJS`,
      };
    }
    case 'b': {
      const vsKafkajs = rxkafka?.ratioVsKafkajs;
      const vsNest = rxkafka?.ratioVsNest;
      return {
        scenario,
        target: '≥1.0× kafkajs, ≥10× NestJS',
        met: vsKafkajs === undefined || vsNest === undefined ? undefined : vsKafkajs >= 1 && vsNest >= 10,
        detail: `${formatRatio(vsKafkajs)} kafkajs, ${formatRatio(vsNest)} NestJS`,
      };
    }
    case 'c': {
      const mine = rxkafka?.latency?.p99Ms;
      const theirs = nest?.latency?.p99Ms;
      return {
        scenario,
        target: 'p99 ≤ NestJS p99',
        met: mine === undefined || theirs === undefined ? undefined : mine <= theirs,
        detail: `p99 ${formatMs(mine)} vs ${formatMs(theirs)} ms`,
      };
    }
    case 'd': {
      // On every repetition, not only the median: repetitions are interleaved, so the i-th of each pair ran
      // side by side.
      const perRepetition = pairRatios(rxkafka?.throughputsPerS, nest?.throughputsPerS);
      const median = rxkafka?.ratioVsNest;
      return {
        scenario,
        target: '≥5× NestJS on every repetition',
        met:
          median === undefined || perRepetition.length === 0
            ? undefined
            : perRepetition.every((ratio) => ratio >= 5),
        detail: `${formatRatio(median)} NestJS (repetitions ${perRepetition.map(formatRatio).join(', ')})`,
      };
    }
    case 'f': {
      const vsKafkajs = rxkafka?.ratioVsKafkajs;
      return {
        scenario,
        target: '≥0.8× kafkajs',
        met: vsKafkajs === undefined || !kafkajs ? undefined : vsKafkajs >= 0.8,
        detail: `${formatRatio(vsKafkajs)} kafkajs`,
      };
    }
    case 'e': {
      const growth = Object.entries(rxkafka?.soak ?? {});
      return {
        scenario,
        target: `RSS growth <${RSS_GROWTH_LIMIT_PCT}% after warm-up`,
        met:
          growth.length === 0 || growth.some(([, g]) => Number.isNaN(g.growthPct))
            ? undefined
            : growth.every(([, g]) => g.growthPct < RSS_GROWTH_LIMIT_PCT),
        detail:
          growth
            .map(
              ([process, g]) =>
                `${process} ${g.atWarmMb.toFixed(0)}→${g.endMb.toFixed(0)} MB ${formatPct(g.growthPct)}` +
                (g.heapAtWarmMb === undefined || g.heapEndMb === undefined
                  ? ''
                  : ` (live heap ${g.heapAtWarmMb.toFixed(0)}→${g.heapEndMb.toFixed(0)} MB)`),
            )
            .join(', ') || 'no soak figures',
      };
    }
    case 'g': {
      const vsKafkajs = rxkafka?.ratioVsKafkajs;
      return {
        scenario,
        target: '≥0.8× a raw kafkajs eachBatch read',
        met: vsKafkajs === undefined ? undefined : vsKafkajs >= REPLAY_VS_KAFKAJS,
        detail: `${formatRatio(vsKafkajs)} kafkajs`,
      };
    }
    case 'h': {
      const restart = rxkafka?.restart;
      return {
        scenario,
        target: 'restart from a snapshot faster than a full replay',
        met: restart === undefined ? undefined : restart.fromSnapshotMs < restart.fullReplayMs,
        detail: restart
          ? `${formatMs(restart.fromSnapshotMs)} ms (${restart.appliedFromSnapshot} records) vs ` +
            `${formatMs(restart.fullReplayMs)} ms (${restart.appliedFull}) = ` +
            `${formatRatio(restart.fromSnapshotMs / restart.fullReplayMs)}`
          : 'no restart figures',
      };
    }
    case 'i': {
      // Exactly-once costs at most 20% against a hand-written kafkajs transactional loop of the same batch
      // size; at-least-once, the cheaper guarantee, runs at least 1.2× exactly-once in its stream form.
      const vsKafkajs = rxkafka?.ratioVsKafkajs;
      const stream = find('rxkafka-stream');
      const streamVsExactlyOnce =
        rxkafka && stream ? stream.throughputPerS / rxkafka.throughputPerS : undefined;
      const serverClient = find('rxkafka-alo');
      const serverVsExactlyOnce =
        rxkafka && serverClient ? serverClient.throughputPerS / rxkafka.throughputPerS : undefined;
      const latency = rxkafka?.latency;
      return {
        scenario,
        target: '≥0.8× kafkajs transactions; at-least-once consume() ≥1.2× exactly-once',
        met:
          vsKafkajs === undefined || streamVsExactlyOnce === undefined
            ? undefined
            : vsKafkajs >= 0.8 && streamVsExactlyOnce >= 1.2,
        detail:
          `${formatRatio(vsKafkajs)} kafkajs; at-least-once ${formatRatio(streamVsExactlyOnce)} (consume()), ` +
          `${formatRatio(serverVsExactlyOnce)} (server + client) of exactly-once; transaction ` +
          `p50 ${formatMs(latency?.p50Ms)} ms, p99 ${formatMs(latency?.p99Ms)} ms`,
      };
    }
    case 'n': {
      const vsNest = find('nest-rxkafka')?.ratioVsNest;
      return {
        scenario,
        target: '≥10× the same app on Transport.KAFKA',
        met: vsNest === undefined ? undefined : vsNest >= 10,
        detail: `${formatRatio(vsNest)} NestJS`,
      };
    }
    case 'o': {
      const mine = find('nest-rxkafka');
      const perRepetition = pairRatios(mine?.throughputsPerS, nest?.throughputsPerS);
      return {
        scenario,
        target: '≥3× the same app on Transport.KAFKA',
        met: mine?.ratioVsNest === undefined ? undefined : mine.ratioVsNest >= 3,
        detail: `${formatRatio(mine?.ratioVsNest)} NestJS (repetitions ${perRepetition.map(formatRatio).join(', ')})`,
      };
    }
    case 'p':
      return describePipelineCost(scenario, find('nest-rxkafka'), rxkafka);
    case 'q': {
      // KIP-848 moves single partitions; kafkajs's eager rebalance stops every member until all rejoined.
      const incremental = find('rxkafka-platformatic')?.rebalance;
      const eager = rxkafka?.rebalance;
      const mine = incremental?.during;
      const theirs = eager?.during;
      return {
        scenario,
        implementation: 'rxkafka-platformatic',
        target: 'p99 during the change ≤ 0.5× kafkajs eager',
        met: mine === undefined || theirs === undefined ? undefined : mine.p99Ms <= theirs.p99Ms / 2,
        detail:
          `p99 ${formatMs(mine?.p99Ms)} vs ${formatMs(theirs?.p99Ms)} ms, ` +
          `max ${formatMs(mine?.maxMs)} vs ${formatMs(theirs?.maxMs)} ms; ` +
          `handled on unmoved partitions, join ${handledOnUnmoved(incremental?.join)} vs ` +
          `${handledOnUnmoved(eager?.join)}, leave ${handledOnUnmoved(incremental?.leave)} vs ` +
          `${handledOnUnmoved(eager?.leave)}`,
      };
    }
    case 'r':
      return describeRetryStall(scenario, find('rxkafka-retry-topics'), find('rxkafka-retry-in-place'));
    case 's': {
      // A run fails when a good request is answered wrongly or not at all, so a row here answered them all.
      const mine = rxkafka?.latency;
      const theirs = nest?.latency;
      return {
        scenario,
        target: 'all good requests answered; p99 ≤ NestJS p99',
        met: mine === undefined || theirs === undefined ? undefined : mine.p99Ms <= theirs.p99Ms,
        detail: `p50 ${formatMs(mine?.p50Ms)} vs ${formatMs(theirs?.p50Ms)} ms, p99 ${formatMs(mine?.p99Ms)} vs ${formatMs(theirs?.p99Ms)} ms`,
      };
    }
  }
}

/**
 * What NestJS's handler pipeline (its RPC context, one pipe, one interceptor) adds per message over
 * rxkafka's own controller on the same server: the consumer's CPU over the window, per record. A figure to
 * report, not a target to meet.
 */
function describePipelineCost(
  scenario: ScenarioId,
  nestApp: ImplementationSummary | undefined,
  rxkafka: ImplementationSummary | undefined,
): TargetVerdict {
  const cpuPerMessageUs = cpuPerRecordUs;
  const detail =
    nestApp && rxkafka
      ? `CPU ${cpuPerMessageUs(nestApp).toFixed(1)} vs ${cpuPerMessageUs(rxkafka).toFixed(1)} µs/msg: ` +
        `the Nest pipeline costs ${(cpuPerMessageUs(nestApp) - cpuPerMessageUs(rxkafka)).toFixed(1)} µs/msg; ` +
        `${formatRatio(nestApp.throughputPerS / rxkafka.throughputPerS)} rxkafka's msgs/s`
      : 'n/a';
  return { scenario, target: 'report: Nest pipeline cost per message', met: undefined, detail };
}

/**
 * (r) side by side: the healthy events' rate (those that never failed, until the last of them succeeded)
 * and the time until every event succeeded, retried ones included, through retry topics and in place. A
 * figure to report, not a target to meet.
 */
function describeRetryStall(
  scenario: ScenarioId,
  retryTopics: ImplementationSummary | undefined,
  inPlace: ImplementationSummary | undefined,
): TargetVerdict {
  const rate = (row: ImplementationSummary | undefined) =>
    row ? `${Math.round(row.throughputPerS).toLocaleString('en-US')}/s` : 'n/a';
  const allDone = (row: ImplementationSummary | undefined) =>
    row?.retries ? `${(row.retries.allDoneMs / 1000).toFixed(1)} s` : 'n/a';
  const healthy = retryTopics?.retries ?? inPlace?.retries;
  return {
    scenario,
    target: 'report, retry topics vs in place',
    met: undefined,
    detail:
      `healthy events${healthy ? ` (${healthy.healthyCount.toLocaleString('en-US')})` : ''} ` +
      `${rate(retryTopics)} vs ${rate(inPlace)} ` +
      `(${formatRatio(retryTopics && inPlace ? retryTopics.throughputPerS / inPlace.throughputPerS : undefined)}); ` +
      `every event done after ${allDone(retryTopics)} vs ${allDone(inPlace)}`,
  };
}

/**
 * (a) only: what configuring `retryTopics` on the handler costs the records that never fail, as the rate
 * of `rxkafka-retry-topics` over `rxkafka`'s in the same run (medians; the repetitions' pairs and the CPU
 * per record in the detail). Target: ≥ 0.95×. Undefined in other scenarios, and when (a) ran without it.
 */
export function evaluateRetryTopicsCost(
  scenario: ScenarioId,
  summaries: readonly ImplementationSummary[],
): TargetVerdict | undefined {
  if (scenario !== 'a') return undefined;
  const find = (implementation: ImplementationSummary['implementation']) =>
    summaries.find((row) => row.scenario === scenario && row.implementation === implementation);
  const withRetryTopics = find('rxkafka-retry-topics');
  if (!withRetryTopics) return undefined;
  const without = find('rxkafka');
  const ratio = without ? withRetryTopics.throughputPerS / without.throughputPerS : undefined;
  const perRepetition = pairRatios(withRetryTopics.throughputsPerS, without?.throughputsPerS);
  const cpuDelta = without ? cpuPerRecordUs(withRetryTopics) - cpuPerRecordUs(without) : undefined;
  return {
    scenario,
    implementation: 'rxkafka-retry-topics',
    target: `with retryTopics ≥${RETRY_TOPICS_VS_WITHOUT}× without`,
    met: ratio === undefined ? undefined : ratio >= RETRY_TOPICS_VS_WITHOUT,
    detail:
      `${formatRatio(ratio)} rxkafka's msgs/s` +
      (perRepetition.length > 0 ? ` (repetitions ${perRepetition.map(formatRatio).join(', ')})` : '') +
      '; CPU ' +
      (cpuDelta === undefined ? 'n/a' : `${cpuDelta >= 0 ? '+' : ''}${cpuDelta.toFixed(1)} µs/record`),
  };
}

/**
 * (a) and (d): what the inspector attached (its page open in a browser) costs, as the rate of
 * `rxkafka-inspector` over `rxkafka`'s in the same run (medians; the repetitions' pairs and the CPU per
 * record in the detail). Target: ≥ 0.9×. Undefined in other scenarios, and when the scenario ran without it.
 */
export function evaluateInspectorCost(
  scenario: ScenarioId,
  summaries: readonly ImplementationSummary[],
): TargetVerdict | undefined {
  if (scenario !== 'a' && scenario !== 'd') return undefined;
  const find = (implementation: ImplementationSummary['implementation']) =>
    summaries.find((row) => row.scenario === scenario && row.implementation === implementation);
  const inspected = find('rxkafka-inspector');
  if (!inspected) return undefined;
  const without = find('rxkafka');
  const ratio = without ? inspected.throughputPerS / without.throughputPerS : undefined;
  const perRepetition = pairRatios(inspected.throughputsPerS, without?.throughputsPerS);
  const cpuDelta = without ? cpuPerRecordUs(inspected) - cpuPerRecordUs(without) : undefined;
  return {
    scenario,
    implementation: 'rxkafka-inspector',
    target: `inspector attached ≥${INSPECTOR_VS_WITHOUT}× without`,
    met: ratio === undefined ? undefined : ratio >= INSPECTOR_VS_WITHOUT,
    detail:
      `${formatRatio(ratio)} rxkafka's msgs/s` +
      (perRepetition.length > 0 ? ` (repetitions ${perRepetition.map(formatRatio).join(', ')})` : '') +
      '; CPU ' +
      (cpuDelta === undefined ? 'n/a' : `${cpuDelta >= 0 ? '+' : ''}${cpuDelta.toFixed(1)} µs/record`),
  };
}

/**
 * What tracing costs per record, in CPU µs summed over the run's workers: rxkafka with a tracer SDK
 * over rxkafka without one, beside raw kafkajs with @opentelemetry/instrumentation-kafkajs over raw
 * kafkajs. Target: rxkafka's tracing costs no more per record than that instrumentation. Undefined when
 * the scenario ran no traced implementation.
 */
export function evaluateTracingCost(
  scenario: ScenarioId,
  summaries: readonly ImplementationSummary[],
): TargetVerdict | undefined {
  const find = (implementation: ImplementationSummary['implementation']) =>
    summaries.find((row) => row.scenario === scenario && row.implementation === implementation);
  const tracedRxkafka = find('rxkafka-otel');
  const tracedKafkajs = find('kafkajs-otel');
  if (!tracedRxkafka && !tracedKafkajs) return undefined;
  const cost = (traced: ImplementationSummary | undefined, plain: ImplementationSummary | undefined) =>
    traced && plain ? cpuPerRecordUs(traced) - cpuPerRecordUs(plain) : undefined;
  const mine = cost(tracedRxkafka, find('rxkafka'));
  const theirs = cost(tracedKafkajs, find('kafkajs'));
  const format = (us: number | undefined) =>
    us === undefined ? 'n/a' : `${us >= 0 ? '+' : ''}${us.toFixed(1)} µs`;
  return {
    scenario,
    implementation: 'rxkafka-otel',
    target: "tracing's CPU per record ≤ instrumentation-kafkajs's",
    met: mine === undefined || theirs === undefined ? undefined : mine <= theirs,
    detail:
      `rxkafka ${format(mine)}/record, kafkajs ${format(theirs)}/record; traced, rxkafka does ` +
      formatRatio(
        tracedRxkafka && tracedKafkajs
          ? tracedRxkafka.throughputPerS / tracedKafkajs.throughputPerS
          : undefined,
      ) +
      ' traced kafkajs msgs/s',
  };
}

/** CPU seconds of every worker of the median run, per record, in µs. */
function cpuPerRecordUs(row: ImplementationSummary): number {
  return (Object.values(row.cpuS).reduce((a, b) => a + b, 0) / row.count) * 1e6;
}

/** `mine[i] / theirs[i]` for each repetition both have. */
export function pairRatios(
  mine: readonly number[] | undefined,
  theirs: readonly number[] | undefined,
): number[] {
  if (!mine || !theirs) return [];
  return mine.slice(0, theirs.length).map((rate, index) => rate / theirs[index]);
}

export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`;
}

function formatMs(ms: number | undefined): string {
  return ms === undefined ? 'n/a' : ms.toFixed(1);
}

function formatPct(pct: number): string {
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

/** (q): requests handled on the partitions that kept their owner during one change, or "n/a". */
function handledOnUnmoved(change: RebalanceChangeFigures | undefined): string {
  return change?.windowMs === undefined ? 'n/a' : String(change.handledOnUnmoved);
}

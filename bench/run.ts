/**
 * `npm run bench`: starts one local broker (or uses KAFKA_BROKERS), runs every scenario against rxkafka
 * and its baselines on that broker, each implementation in its own worker processes, repetitions
 * interleaved (A B C A B C …), then prints the table and writes bench/results/<timestamp>.json.
 * See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalKafka, type LocalKafka } from '../lib/testing';
import { parseBenchOptions, type BenchOptions } from './bench-options';
import { describeMachine } from './machine-info';
import { evaluatePlatformaticTarget } from './platformatic-targets';
import { formatReportTable } from './report-table';
import { toTotalCpuSeconds, type FailedRun, type RebalanceChangeFigures, type RunResult } from './run-result';
import type { RunContext } from './scenarios/run-context';
import { runEventsOnce } from './scenarios/run-events-once';
import { runPipelineOnce } from './scenarios/run-pipeline-once';
import { runProjectionRestartOnce } from './scenarios/run-projection-restart-once';
import { runRebalanceOnce } from './scenarios/run-rebalance-once';
import { runReplayOnce } from './scenarios/run-replay-once';
import { runRequestReplyOnce } from './scenarios/run-request-reply-once';
import { createScenarios, type Scenario } from './scenarios/scenario';
import { summarizeRuns } from './summarize-runs';
import {
  evaluateInspectorCost,
  evaluateRetryTopicsCost,
  evaluateTarget,
  evaluateTracingCost,
} from './targets';
import { TopicAdmin } from './topic-admin';
import { killLiveWorkers } from './worker-process';
import type { ImplementationName } from './worker-protocol';

const RESULTS_DIR = join(__dirname, 'results');

/** A measuring window shorter than this mostly measures start-up and the machine's moods. */
const MIN_WINDOW_MS = 5_000;

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2));
  const scenarios = createScenarios(options);
  const startedAt = new Date();
  printPlan(options, scenarios);

  const kafka = await startLocalKafka({ logger: { info: (message) => console.log(`[broker] ${message}`) } });
  const stopOnSignal = (signal: NodeJS.Signals) => {
    console.error(`[bench] ${signal}: killing ${killLiveWorkers()} worker(s) and stopping the broker`);
    void kafka.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    const machine = describeMachine(kafka);
    const { runs, failures } = await runScenarios(kafka, options, scenarios);
    const summaries = summarizeRuns(runs);
    const verdicts = scenarios.flatMap((scenario) => [
      evaluateTarget(scenario.id, summaries),
      ...[
        evaluateTracingCost(scenario.id, summaries),
        evaluateRetryTopicsCost(scenario.id, summaries),
        evaluateInspectorCost(scenario.id, summaries),
        evaluatePlatformaticTarget(scenario.id, summaries),
      ].filter((verdict) => verdict !== undefined),
    ]);
    console.log(`\n${formatReportTable(scenarios, summaries, verdicts, failures)}\n`);
    console.log(
      `machine: ${machine.cpuCount} × ${machine.cpuModel}, ${machine.node}, Kafka ${machine.kafkaVersion} ` +
        `(${machine.kafkaProvider}), load average at start ${machine.loadAverage.join(' ')}`,
    );
    const file = writeResults(startedAt, {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options,
      machine,
      scenarios,
      summaries,
      verdicts,
      runs,
      failures,
    });
    console.log(`results: ${file}`);
    for (const failure of failures) {
      console.error(
        `[bench] FAILED (${failure.scenario}) ${failure.implementation} r${failure.repetition}: ${failure.error}`,
      );
    }
    return failures.length > 0 ? 1 : 0;
  } finally {
    killLiveWorkers();
    await kafka.stop();
  }
}

/** Runs each scenario's repetitions, the implementations interleaved within each repetition. */
async function runScenarios(
  kafka: LocalKafka,
  options: BenchOptions,
  scenarios: readonly Scenario[],
): Promise<{ runs: RunResult[]; failures: FailedRun[] }> {
  const topics = await TopicAdmin.connect(kafka.brokers);
  await topics.prepareGroupCoordinator();
  const context: RunContext = { brokers: kafka.brokers, topics, cpuProfileDir: options.cpuProfileDir };
  const runs: RunResult[] = [];
  const failures: FailedRun[] = [];
  try {
    for (const scenario of scenarios) {
      for (let repetition = 1; repetition <= scenario.repetitions; repetition++) {
        for (const implementation of inRunOrder(scenario.implementations, repetition)) {
          const name = `(${scenario.id}) ${implementation} r${repetition}/${scenario.repetitions}`;
          try {
            const run = await runOnce(context, scenario, implementation, repetition);
            runs.push(run);
            console.log(`[bench] ${name}: ${describeRun(run)}`);
            if (!options.quick && run.durationMs < MIN_WINDOW_MS) {
              console.log(
                `[bench] ${name}: a window of ${(run.durationMs / 1000).toFixed(1)} s is too short to compare; raise its N`,
              );
            }
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            failures.push({ scenario: scenario.id, implementation, repetition, error: message });
            console.error(`[bench] ${name} failed: ${message}`);
          }
        }
      }
    }
  } finally {
    await topics.close();
  }
  return { runs, failures };
}

/**
 * The implementations in the order `repetition` runs them: as given on odd repetitions, reversed on even
 * ones. A run inherits the machine the run before it left (the broker still writing the records just loaded,
 * the page cache, the other worker's exit), so a fixed order would give each implementation the same slot's
 * bias on every repetition; alternating spreads it over them.
 */
function inRunOrder<T>(implementations: readonly T[], repetition: number): readonly T[] {
  return repetition % 2 === 0 ? [...implementations].reverse() : implementations;
}

function runOnce(
  context: RunContext,
  scenario: Scenario,
  implementation: ImplementationName,
  repetition: number,
): Promise<RunResult> {
  switch (scenario.kind) {
    case 'events':
      return runEventsOnce(context, scenario, implementation, repetition);
    case 'pipeline':
      return runPipelineOnce(context, scenario, implementation, repetition);
    case 'request-reply':
      return runRequestReplyOnce(context, scenario, implementation, repetition);
    case 'replay':
      return runReplayOnce(context, scenario, implementation, repetition);
    case 'projection-restart':
      return runProjectionRestartOnce(context, scenario, implementation, repetition);
    case 'rebalance':
      return runRebalanceOnce(context, scenario, implementation, repetition);
  }
}

/** (q): one change's figures, e.g. "8 partitions kept their owner, 310 requests handled on them in 1.8 s". */
function describeOwnershipChange(change: RebalanceChangeFigures): string {
  if (change.windowMs === undefined) return 'no complete ownership change seen';
  return (
    `${change.unmovedPartitions} partitions kept their owner, ${change.handledOnUnmoved} requests handled on ` +
    `them in ${(change.windowMs / 1000).toFixed(1)} s`
  );
}

function describeRun(run: RunResult): string {
  const parts = [
    `${Math.round(run.throughputPerS).toLocaleString('en-US')} ${run.retries ? 'healthy ' : ''}msgs/s over ` +
      `${(run.durationMs / 1000).toFixed(1)} s`,
    run.rebalance &&
      `during the change (${(run.rebalance.changeMs / 1000).toFixed(1)} s, ${run.rebalance.during.count} requests) ` +
        `p99 ${run.rebalance.during.p99Ms.toFixed(1)} ms, max ${run.rebalance.during.maxMs.toFixed(1)} ms; ` +
        `steady p99 ${run.rebalance.steady.p99Ms.toFixed(1)} ms`,
    run.rebalance?.join && `join: ${describeOwnershipChange(run.rebalance.join)}`,
    run.rebalance?.leave && `leave: ${describeOwnershipChange(run.rebalance.leave)}`,
    run.retries &&
      `${run.retries.healthyCount.toLocaleString('en-US')} healthy events, ${run.retries.failedOnceCount} failed once, ` +
        `every event done after ${(run.retries.allDoneMs / 1000).toFixed(1)} s`,
    run.latency
      ? `p50 ${run.latency.p50Ms.toFixed(2)} ms, p99 ${run.latency.p99Ms.toFixed(2)} ms`
      : undefined,
    `CPU ${toTotalCpuSeconds(run).toFixed(2)} s`,
    `peak RSS ${Object.entries(run.peakRssMb)
      .map(([process, mb]) => `${process} ${mb.toFixed(0)} MB`)
      .join(', ')}`,
    run.loadMs === undefined ? undefined : `(loaded in ${(run.loadMs / 1000).toFixed(1)} s)`,
    run.hostileWritten &&
      `${Object.values(run.hostileWritten).reduce((total, n) => total + n, 0)} hostile records beside them`,
    run.restart &&
      `restart from snapshot ${(run.restart.fromSnapshotMs / 1000).toFixed(2)} s (${run.restart.appliedFromSnapshot} records) ` +
        `vs full replay ${(run.restart.fullReplayMs / 1000).toFixed(2)} s (${run.restart.appliedFull} records) = ` +
        `${(run.restart.fromSnapshotMs / run.restart.fullReplayMs).toFixed(2)}×`,
    ...Object.entries(run.soak ?? {}).map(
      ([process, growth]) =>
        `${process} RSS ${growth.atWarmMb.toFixed(0)} → ${growth.endMb.toFixed(0)} MB (${growth.growthPct.toFixed(1)}%)` +
        (growth.heapAtWarmMb === undefined || growth.heapEndMb === undefined
          ? ''
          : `, live heap ${growth.heapAtWarmMb.toFixed(1)} → ${growth.heapEndMb.toFixed(1)} MB`),
    ),
  ];
  return parts.filter(Boolean).join(', ');
}

function printPlan(options: BenchOptions, scenarios: readonly Scenario[]): void {
  console.log(
    `[bench] ${options.quick ? 'quick run' : 'full run'}: ` +
      scenarios
        .map(
          (s) =>
            `(${s.id}) N=${s.count.toLocaleString('en-US')}` +
            Object.entries(s.countFor ?? {})
              .map(([implementation, n]) => ` (${implementation} ${n.toLocaleString('en-US')})`)
              .join('') +
            ` × ${s.repetitions} [${s.implementations.join(', ')}]`,
        )
        .join('; '),
  );
}

function writeResults(startedAt: Date, content: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  // Colons are not allowed in Windows file names: the ISO timestamp with '-' instead.
  const file = join(RESULTS_DIR, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
  return file;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    killLiveWorkers();
    process.exit(1);
  },
);

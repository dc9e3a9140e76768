import type { RunResult } from '../run-result';
import { toUniqueTopic } from '../topic-admin';
import { killLiveWorkers, WorkerProcess } from '../worker-process';
import type { ConsumeResult, ImplementationName } from '../worker-protocol';
import { loadTopic } from './load-topic';
import { EXIT_TIMEOUT_MS, STARTUP_TIMEOUT_MS, type RunContext } from './run-context';
import type { ReplayScenario } from './scenario';

/** The sides of (g): rxkafka's `replay()` on each driver, and each library's raw read. */
const REPLAY_IMPLEMENTATIONS = ['rxkafka', 'kafkajs', 'platformatic', 'rxkafka-platformatic'] as const;
type ReplayImplementation = (typeof REPLAY_IMPLEMENTATIONS)[number];

/**
 * One run of (g): a fresh topic, pre-produced events, then one replayer process (rxkafka's `replay()` or
 * a raw read), which reports its rate from the first record to the last.
 */
export async function runReplayOnce(
  context: RunContext,
  scenario: ReplayScenario,
  implementation: ImplementationName,
  repetition: number,
): Promise<RunResult> {
  if (!isReplayImplementation(implementation))
    throw new Error(`(g) has no ${implementation} side: it compares replay() with raw reads`);
  const topic = toUniqueTopic(scenario.id, implementation, `r${repetition}`);
  const label = `${scenario.id}-${implementation}-r${repetition}`;
  await context.topics.create([{ topic, partitions: scenario.partitions }]);
  try {
    const loaded = await loadTopic(context, topic, scenario, label);
    const replayer = WorkerProcess.spawn(
      { role: 'replayer', implementation, brokers: context.brokers, topic, count: scenario.count },
      `${label}-replayer`,
    );
    const read = (await replayer.next('result', STARTUP_TIMEOUT_MS + scenario.timeoutMs))
      .result as ConsumeResult;
    await replayer.exit(EXIT_TIMEOUT_MS);
    return {
      scenario: scenario.id,
      implementation,
      repetition,
      count: scenario.count,
      throughputPerS: read.throughputPerS,
      durationMs: read.durationMs,
      cpuS: { replayer: read.cpuS },
      peakRssMb: { replayer: read.peakRssMb },
      loadMs: loaded.durationMs,
      closeMs: read.closeMs,
    };
  } finally {
    killLiveWorkers();
    await context.topics.delete([topic]);
  }
}

function isReplayImplementation(name: ImplementationName): name is ReplayImplementation {
  return (REPLAY_IMPLEMENTATIONS as readonly string[]).includes(name);
}

import type { RunResult } from '../run-result';
import { toUniqueTopic } from '../topic-admin';
import { killLiveWorkers, WorkerProcess } from '../worker-process';
import type { ImplementationName, RestartResult } from '../worker-protocol';
import { loadTopic } from './load-topic';
import { EXIT_TIMEOUT_MS, STARTUP_TIMEOUT_MS, type RunContext } from './run-context';
import type { ProjectionRestartScenario } from './scenario';

/**
 * One run of (h): a fresh source topic with pre-produced events, then one projector process that builds
 * a projection with snapshots, adds a tail of events, and times a restart from the snapshot against a
 * full replay. `throughputPerS` is the full replay's rate; the two times are in `restart`.
 */
export async function runProjectionRestartOnce(
  context: RunContext,
  scenario: ProjectionRestartScenario,
  implementation: ImplementationName,
  repetition: number,
): Promise<RunResult> {
  if (implementation !== 'rxkafka') throw new Error('(h) measures rxkafka projections only');
  const topic = toUniqueTopic(scenario.id, implementation, `r${repetition}`);
  const snapshotTopic = `${topic}-snapshots`;
  const label = `${scenario.id}-${implementation}-r${repetition}`;
  await context.topics.create([{ topic, partitions: scenario.partitions }]);
  try {
    const loaded = await loadTopic(context, topic, scenario, label);
    const projector = WorkerProcess.spawn(
      {
        role: 'projector',
        brokers: context.brokers,
        topic,
        snapshotTopic,
        count: scenario.count,
        tailCount: scenario.tailCount,
        keys: scenario.keys,
        valueBytes: scenario.valueBytes,
      },
      `${label}-projector`,
    );
    const timed = (await projector.next('result', STARTUP_TIMEOUT_MS + scenario.timeoutMs))
      .result as RestartResult;
    await projector.exit(EXIT_TIMEOUT_MS);
    if (!timed.statesEqual)
      throw new Error('the restarted projection and the full replay ended in different states');
    return {
      scenario: scenario.id,
      implementation,
      repetition,
      count: scenario.count + scenario.tailCount,
      throughputPerS: timed.appliedFull / (timed.fullReplayMs / 1000),
      durationMs: timed.fullReplayMs,
      cpuS: { projector: timed.cpuS },
      peakRssMb: { projector: timed.peakRssMb },
      loadMs: loaded.durationMs,
      restart: {
        fromSnapshotMs: timed.fromSnapshotMs,
        fullReplayMs: timed.fullReplayMs,
        appliedFromSnapshot: timed.appliedFromSnapshot,
        appliedFull: timed.appliedFull,
        statesEqual: timed.statesEqual,
      },
    };
  } finally {
    killLiveWorkers();
    await context.topics.delete([topic, snapshotTopic]);
  }
}

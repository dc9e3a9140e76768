import { toRetryTopicsOf } from '../implementations/retry-delay';
import type { RunResult } from '../run-result';
import { toUniqueTopic } from '../topic-admin';
import { killLiveWorkers, WorkerProcess } from '../worker-process';
import type { ConsumeResult, ImplementationName, LoadResult } from '../worker-protocol';
import { EXIT_TIMEOUT_MS, STARTUP_TIMEOUT_MS, toCpuProfilePath, type RunContext } from './run-context';
import { countOf, type EventScenario } from './scenario';

/**
 * One run of an event scenario: a fresh topic, a loader process that pre-produces the events, then the
 * implementation's consumer process, which reports its rate from first record to last handled.
 */
export async function runEventsOnce(
  context: RunContext,
  scenario: EventScenario,
  implementation: ImplementationName,
  repetition: number,
): Promise<RunResult> {
  const topic = toUniqueTopic(scenario.id, implementation, `r${repetition}`);
  const label = `${scenario.id}-${implementation}-r${repetition}`;
  const count = countOf(scenario, implementation);
  await context.topics.create([{ topic, partitions: scenario.partitions }]);
  try {
    const loader = WorkerProcess.spawn(
      {
        role: 'loader',
        brokers: context.brokers,
        topic,
        count,
        keys: scenario.keys,
        valueBytes: scenario.valueBytes,
      },
      `${label}-loader`,
    );
    const loaded = (await loader.next('result', STARTUP_TIMEOUT_MS + count)).result as LoadResult;
    await loader.exit(EXIT_TIMEOUT_MS);

    const consumer = WorkerProcess.spawn(
      {
        role: 'consumer',
        implementation,
        brokers: context.brokers,
        topic,
        groupId: topic,
        count,
        ioDelayMs: scenario.ioDelayMs,
        keyConcurrency: scenario.keyConcurrency,
        streams: scenario.streams,
        failOnce: scenario.failOnce,
        cpuProfilePath: toCpuProfilePath(context, `${label}-consumer`),
      },
      `${label}-consumer`,
    );
    const consumed = (await consumer.next('result', STARTUP_TIMEOUT_MS + scenario.timeoutMs))
      .result as ConsumeResult;
    await consumer.exit(EXIT_TIMEOUT_MS);
    return {
      scenario: scenario.id,
      implementation,
      repetition,
      count,
      throughputPerS: consumed.throughputPerS,
      durationMs: consumed.durationMs,
      cpuS: { consumer: consumed.cpuS },
      peakRssMb: { consumer: consumed.peakRssMb },
      loadMs: loaded.durationMs,
      closeMs: consumed.closeMs,
      retries: consumed.retries,
    };
  } finally {
    // After a failure: no worker may outlive its run (on success they have all exited already).
    killLiveWorkers();
    // rxkafka-retry-topics created its retry and dead-letter topics at listen().
    await context.topics.delete(
      implementation === 'rxkafka-retry-topics' ? [topic, ...toRetryTopicsOf(topic)] : [topic],
    );
  }
}

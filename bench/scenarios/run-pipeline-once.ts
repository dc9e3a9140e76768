import type { RunResult } from '../run-result';
import { toUniqueTopic } from '../topic-admin';
import { killLiveWorkers, WorkerProcess } from '../worker-process';
import type { ImplementationName, LoadResult, PipelineResult } from '../worker-protocol';
import { EXIT_TIMEOUT_MS, STARTUP_TIMEOUT_MS, toCpuProfilePath, type RunContext } from './run-context';
import { countOf, type PipelineScenario } from './scenario';

/**
 * One run of the pipeline scenario: fresh input and output topics, a loader process that pre-produces the
 * events, then the implementation's pipeline process, which reports its rate from the first input
 * transformed to the last one committed (or acknowledged), and its transaction latencies.
 */
export async function runPipelineOnce(
  context: RunContext,
  scenario: PipelineScenario,
  implementation: ImplementationName,
  repetition: number,
): Promise<RunResult> {
  const topic = toUniqueTopic(scenario.id, implementation, `r${repetition}`);
  const outputTopic = `${topic}-out`;
  const label = `${scenario.id}-${implementation}-r${repetition}`;
  const count = countOf(scenario, implementation);
  await context.topics.create([
    { topic, partitions: scenario.partitions },
    { topic: outputTopic, partitions: scenario.partitions },
  ]);
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

    const pipeline = WorkerProcess.spawn(
      {
        role: 'pipeline',
        implementation,
        brokers: context.brokers,
        topic,
        outputTopic,
        groupId: topic,
        count,
        batchSize: scenario.batchSize,
        cpuProfilePath: toCpuProfilePath(context, `${label}-pipeline`),
      },
      `${label}-pipeline`,
    );
    const result = (await pipeline.next('result', STARTUP_TIMEOUT_MS + scenario.timeoutMs))
      .result as PipelineResult;
    await pipeline.exit(EXIT_TIMEOUT_MS);
    return {
      scenario: scenario.id,
      implementation,
      repetition,
      count,
      throughputPerS: result.throughputPerS,
      durationMs: result.durationMs,
      latency: result.transactionLatency,
      cpuS: { pipeline: result.cpuS },
      peakRssMb: { pipeline: result.peakRssMb },
      loadMs: loaded.durationMs,
    };
  } finally {
    killLiveWorkers();
    await context.topics.delete([topic, outputTopic]);
  }
}

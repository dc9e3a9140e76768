import { startCpuProfile, type RunningCpuProfile } from '../cpu-profiler';
import { loadPipeline } from '../pipelines/pipeline';
import { toCpuSeconds, type ProcessMeter, type ProcessSnapshot } from '../process-meter';
import { summarizeLatencies } from '../stats';
import type { PipelineResult, PipelineSpec } from '../worker-protocol';

/**
 * The pipeline role (scenario i): runs one consume-transform-produce implementation over the pre-produced
 * topic and measures from the first input handed to its transform to the `count`th input done (committed
 * in a transaction, or its output acknowledged). Joining the group and closing are outside the window.
 */
export async function transformEvents(spec: PipelineSpec, meter: ProcessMeter): Promise<PipelineResult> {
  const pipeline = loadPipeline(spec.implementation);
  let first: ProcessSnapshot | undefined;
  let profile: RunningCpuProfile | undefined;
  let done = 0;
  const latencies: number[] = [];
  let finish: (last: ProcessSnapshot) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const finished = new Promise<ProcessSnapshot>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const running = await pipeline.start(
    {
      brokers: spec.brokers,
      inputTopic: spec.topic,
      outputTopic: spec.outputTopic,
      groupId: spec.groupId,
      batchSize: spec.batchSize,
    },
    {
      started: () => {
        if (first) return;
        profile = startCpuProfile(spec.cpuProfilePath);
        first = meter.snapshot();
      },
      done: (records) => {
        const before = done;
        done += records;
        if (before < spec.count && done >= spec.count) finish(meter.snapshot());
      },
      transaction: (ms) => void latencies.push(ms),
      fail: (error) => fail(error),
    },
  );
  const last = await finished;
  profile?.stop();
  await running.close();
  const start = first ?? last;
  const durationMs = last.atMs - start.atMs;
  return {
    durationMs,
    throughputPerS: spec.count / (durationMs / 1000),
    cpuS: toCpuSeconds(start, last),
    peakRssMb: meter.peakRssMb,
    transactionLatency: latencies.length > 0 ? summarizeLatencies(Float64Array.from(latencies)) : undefined,
    transactions: latencies.length,
  };
}

import { setTimeout as delay } from 'node:timers/promises';
import { checkEvent, type BenchEvent } from '../bench-event';
import { loadImplementation, type EventHandler } from '../implementations/implementation';
import { startCpuProfile, type RunningCpuProfile } from '../cpu-profiler';
import { toCpuSeconds, type ProcessMeter, type ProcessSnapshot } from '../process-meter';
import type { ConsumeResult, ConsumerSpec } from '../worker-protocol';

/**
 * The consumer role: runs one implementation's consumer over the pre-produced topic and measures from the
 * first record handed to the handler to the `count`th handler finished (joining the group, fetching
 * metadata and closing are outside the window).
 */
export async function consumeEvents(spec: ConsumerSpec, meter: ProcessMeter): Promise<ConsumeResult> {
  const implementation = loadImplementation(spec.implementation);
  let first: ProcessSnapshot | undefined;
  let profile: RunningCpuProfile | undefined;
  const begin = (): ProcessSnapshot => {
    profile = startCpuProfile(spec.cpuProfilePath);
    return meter.snapshot();
  };
  let handled = 0;
  let finish: (last: ProcessSnapshot) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const finished = new Promise<ProcessSnapshot>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // A malformed event fails the run at once instead of being swallowed by the implementation's error path.
  const countHandled = (event: BenchEvent) => {
    try {
      checkEvent(event);
    } catch (error) {
      fail(error);
      return;
    }
    if (++handled === spec.count) finish(meter.snapshot());
  };
  const handle: EventHandler =
    spec.ioDelayMs > 0
      ? async (event) => {
          first ??= begin();
          await delay(spec.ioDelayMs);
          countHandled(event);
        }
      : (event) => {
          first ??= begin();
          countHandled(event);
        };

  const consumer = await implementation.startEventConsumer(
    {
      brokers: spec.brokers,
      topic: spec.topic,
      groupId: spec.groupId,
      keyConcurrency: spec.keyConcurrency,
      streams: spec.streams,
    },
    handle,
  );
  const last = await finished;
  profile?.stop();
  const closeStarted = performance.now();
  await consumer.close();
  const start = first ?? last;
  const durationMs = last.atMs - start.atMs;
  return {
    durationMs,
    throughputPerS: spec.count / (durationMs / 1000),
    cpuS: toCpuSeconds(start, last),
    peakRssMb: meter.peakRssMb,
    closeMs: performance.now() - closeStarted,
  };
}

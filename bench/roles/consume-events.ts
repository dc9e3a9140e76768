import { setTimeout as delay } from 'node:timers/promises';
import { checkEvent, countFailingOnce, failsOnce, type BenchEvent } from '../bench-event';
import { loadImplementation, type EventHandler } from '../implementations/implementation';
import { startCpuProfile, type RunningCpuProfile } from '../cpu-profiler';
import { toCpuSeconds, type ProcessMeter, type ProcessSnapshot } from '../process-meter';
import type { ConsumeResult, ConsumerSpec } from '../worker-protocol';

/**
 * The consumer role: runs one implementation's consumer over the pre-produced topic and measures from the
 * first record handed to the handler to the `count`th handler finished (joining the group, fetching
 * metadata and closing are outside the window). With `failOnce` (r), the events `failsOnce()` picks throw
 * on their first run, and the window and rate are the healthy events' (until the last event that never
 * failed succeeded); the time until every event succeeded is reported beside them.
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
  const failOnce = spec.failOnce === true;
  const healthyCount = failOnce ? spec.count - countFailingOnce(spec.count) : spec.count;
  let healthyHandled = 0;
  let healthyDone: ProcessSnapshot | undefined;
  const failedOnce = new Set<number>();
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
    if (failOnce && !failsOnce(event.id) && ++healthyHandled === healthyCount) healthyDone = meter.snapshot();
    if (++handled === spec.count) finish(meter.snapshot());
  };
  // Thrown after the I/O, as a failing call to a downstream service would; the implementation retries it.
  const failFirstRun = (event: BenchEvent) => {
    if (!failsOnce(event.id) || failedOnce.has(event.id)) return;
    failedOnce.add(event.id);
    throw new Error(`event ${event.id} fails on its first run`);
  };
  const handle: EventHandler =
    spec.ioDelayMs > 0
      ? async (event) => {
          first ??= begin();
          await delay(spec.ioDelayMs);
          if (failOnce) failFirstRun(event);
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
  const allDoneMs = last.atMs - start.atMs;
  const closeMs = performance.now() - closeStarted;
  if (!failOnce) {
    return {
      durationMs: allDoneMs,
      throughputPerS: spec.count / (allDoneMs / 1000),
      cpuS: toCpuSeconds(start, last),
      peakRssMb: meter.peakRssMb,
      closeMs,
    };
  }
  const durationMs = (healthyDone ?? last).atMs - start.atMs;
  return {
    durationMs,
    throughputPerS: healthyCount / (durationMs / 1000),
    cpuS: toCpuSeconds(start, last),
    peakRssMb: meter.peakRssMb,
    closeMs,
    retries: { healthyCount, failedOnceCount: failedOnce.size, allDoneMs },
  };
}

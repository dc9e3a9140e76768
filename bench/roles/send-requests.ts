import { loadImplementation, sumOf, type SumRequester } from '../implementations/implementation';
import { sendToParent } from '../parent-channel';
import { startCpuProfile } from '../cpu-profiler';
import { toCpuSeconds, type ProcessMeter } from '../process-meter';
import { SoakMemory } from '../soak-memory';
import { runAtRate } from '../run-at-rate';
import { runWithConcurrency } from '../run-with-concurrency';
import { summarizeLatencies } from '../stats';
import type { ClientSpec, RequestResult } from '../worker-protocol';

/**
 * The client role: sends `warmupCount` unmeasured requests, then `count` measured ones with `concurrency`
 * in flight (or at a steady `ratePerS`), timing each round trip from send() (or the time it was due) to its
 * reply. In soak mode it announces the end of warm-up (a share of `count`) so both processes note their RSS
 * there, and samples RSS every second.
 */
export async function sendRequests(spec: ClientSpec, meter: ProcessMeter): Promise<RequestResult> {
  const implementation = loadImplementation(spec.implementation);
  const requester = await implementation.connectSumRequester({
    brokers: spec.brokers,
    topic: spec.topic,
    groupId: spec.groupId,
  });
  try {
    await runWithConcurrency(spec.warmupCount, spec.concurrency, async (index) => {
      await requestSum(requester, index);
    });
    // Allocated before the window, so the soak's RSS does not see it grow.
    const latenciesMs = new Float64Array(spec.count);
    const sentAtMs = spec.reportSamples ? new Float64Array(spec.count) : undefined;
    const warmAt = spec.soakWarmupFraction ? Math.ceil(spec.count * spec.soakWarmupFraction) : 0;
    let completed = 0;
    let wrongReplies = 0;
    const memory = new SoakMemory(meter);

    await sendToParent({ type: 'measuring' });
    const profile = startCpuProfile(spec.cpuProfilePath);
    const start = meter.snapshot();
    const measure = async (index: number, sentAt: number): Promise<void> => {
      if (sentAtMs) sentAtMs[index] = performance.timeOrigin + sentAt;
      const correct = await requestSum(requester, index);
      latenciesMs[index] = performance.now() - sentAt;
      if (!correct) wrongReplies++;
      if (++completed === warmAt) {
        memory.markWarm();
        await sendToParent({ type: 'warm' });
      }
    };
    if (spec.ratePerS === undefined) {
      await runWithConcurrency(spec.count, spec.concurrency, (index) => measure(index, performance.now()));
    } else {
      await runAtRate(spec.count, spec.ratePerS, measure);
    }
    const end = meter.snapshot();
    profile.stop();
    const soak = memory.report(end);
    const durationMs = end.atMs - start.atMs;
    return {
      samples: sentAtMs && { sentAtMs: [...sentAtMs], latencyMs: [...latenciesMs] },
      durationMs,
      throughputPerS: spec.count / (durationMs / 1000),
      latency: summarizeLatencies(latenciesMs),
      wrongReplies,
      cpuS: toCpuSeconds(start, end),
      peakRssMb: meter.peakRssMb,
      ...soak,
    };
  } finally {
    await requester.close();
  }
}

/** Sends request `index` and tells whether the reply is the right sum. */
async function requestSum(requester: SumRequester, index: number): Promise<boolean> {
  const numbers = [index, 1, 2, 3];
  const reply = await requester.request(numbers);
  return Number(reply) === sumOf(numbers);
}

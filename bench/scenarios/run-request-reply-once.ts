import type { RunResult } from '../run-result';
import { toRssGrowth } from '../rss-growth';
import { toUniqueTopic } from '../topic-admin';
import { killLiveWorkers, WorkerProcess } from '../worker-process';
import type { HostileResult, ImplementationName, RequestResult, ServeResult } from '../worker-protocol';
import { EXIT_TIMEOUT_MS, STARTUP_TIMEOUT_MS, toCpuProfilePath, type RunContext } from './run-context';
import { countOf, type RequestReplyScenario } from './scenario';

/**
 * One run of a request/reply scenario (or the soak): fresh request and reply topics, a server process,
 * then a client process. The parent relays the client's milestones to the server, so the server's CPU
 * window and soak RSS line up with the client's. In (s) a hostile writer starts before the client and
 * stops after it, so every good request of the window meets hostile records.
 */
export async function runRequestReplyOnce(
  context: RunContext,
  scenario: RequestReplyScenario,
  implementation: ImplementationName,
  repetition: number,
): Promise<RunResult> {
  const topic = toUniqueTopic(scenario.id, implementation, `r${repetition}`);
  const label = `${scenario.id}-${implementation}-r${repetition}`;
  await context.topics.create([
    { topic, partitions: scenario.partitions },
    // One client instance: one reply partition is all it is assigned.
    { topic: `${topic}.reply`, partitions: 1 },
  ]);
  try {
    const connection = { implementation, brokers: context.brokers, topic, groupId: topic };
    const server = WorkerProcess.spawn(
      { role: 'server', ...connection, cpuProfilePath: toCpuProfilePath(context, `${label}-server`) },
      `${label}-server`,
    );
    await server.next('ready', STARTUP_TIMEOUT_MS);
    const hostile = scenario.hostileRatePerS
      ? WorkerProcess.spawn(
          {
            role: 'hostile',
            brokers: context.brokers,
            topic,
            replyTopic: `${topic}.reply`,
            ratePerS: scenario.hostileRatePerS,
          },
          `${label}-hostile`,
        )
      : undefined;
    await hostile?.next('ready', STARTUP_TIMEOUT_MS);
    const client = WorkerProcess.spawn(
      {
        role: 'client',
        ...connection,
        count: countOf(scenario, implementation),
        concurrency: scenario.concurrency,
        warmupCount: scenario.warmupCount,
        soakWarmupFraction: scenario.soakWarmupFraction,
        ratePerS: scenario.ratePerS,
        cpuProfilePath: toCpuProfilePath(context, `${label}-client`),
      },
      `${label}-client`,
    );
    await client.next('measuring', STARTUP_TIMEOUT_MS + scenario.timeoutMs);
    server.send({ type: 'mark' });
    hostile?.send({ type: 'mark' });
    if (scenario.soakWarmupFraction !== undefined) {
      await client.next('warm', scenario.timeoutMs);
      server.send({ type: 'warm' });
    }
    const requested = (await client.next('result', scenario.timeoutMs)).result as RequestResult;
    hostile?.send({ type: 'stop' });
    const hostileResult = (await hostile?.next('result', STARTUP_TIMEOUT_MS))?.result as
      HostileResult | undefined;
    server.send({ type: 'stop' });
    const served = (await server.next('result', STARTUP_TIMEOUT_MS)).result as ServeResult;
    await Promise.all([
      client.exit(EXIT_TIMEOUT_MS),
      server.exit(EXIT_TIMEOUT_MS),
      hostile?.exit(EXIT_TIMEOUT_MS),
    ]);
    if (requested.wrongReplies > 0) {
      throw new Error(`${label}: ${requested.wrongReplies} replies were not the expected sum`);
    }
    return {
      scenario: scenario.id,
      implementation,
      repetition,
      count: countOf(scenario, implementation),
      throughputPerS: requested.throughputPerS,
      durationMs: requested.durationMs,
      latency: requested.latency,
      cpuS: { server: served.cpuS, client: requested.cpuS },
      peakRssMb: { server: served.peakRssMb, client: requested.peakRssMb },
      hostileWritten: hostileResult?.written,
      soak:
        scenario.soakWarmupFraction === undefined
          ? undefined
          : { server: toRssGrowth(served), client: toRssGrowth(requested) },
    };
  } finally {
    // After a failure: no worker may outlive its run (on success they have all exited already).
    killLiveWorkers();
    await context.topics.delete([topic, `${topic}.reply`]);
  }
}

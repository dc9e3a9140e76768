import { setTimeout as delay } from 'node:timers/promises';
import { setConsumerGroupHeartbeat } from '../group-heartbeat';
import type { RunResult } from '../run-result';
import { summarizeLatencies } from '../stats';
import { toUniqueTopic } from '../topic-admin';
import { killLiveWorkers, WorkerProcess } from '../worker-process';
import type { ImplementationName, RequestResult, ServeResult, ServerSpec } from '../worker-protocol';
import { EXIT_TIMEOUT_MS, STARTUP_TIMEOUT_MS, type RunContext } from './run-context';
import { measureOwnershipChange, type HandledRecord, type OwnershipReport } from './ownership-change';
import type { RebalanceScenario } from './scenario';

/** After the leaving member is gone, requests sent this long after still count as "during the change". */
const SETTLE_MS = 2_000;

/**
 * One run of (q): `servers` servers of one group, a fourth loaded but not connected, then a client at a
 * steady rate. `changeAfterMs` into its measured phase the fourth joins (the parent waits until it has
 * joined), then the first server leaves (closes). Requests sent from the join's start until SETTLE_MS after the leave are "during the change";
 * the others are the steady state. rxkafka-platformatic's servers use KIP-848 (`groupProtocol: 'consumer'`);
 * rxkafka's are kafkajs's eager rebalance. With `groupHeartbeatMs` both keep that heartbeat: the KIP-848
 * group by its config at the broker, kafkajs's members by their own option.
 */
export async function runRebalanceOnce(
  context: RunContext,
  scenario: RebalanceScenario,
  implementation: ImplementationName,
  repetition: number,
): Promise<RunResult> {
  const topic = toUniqueTopic(scenario.id, implementation, `r${repetition}`);
  const label = `${scenario.id}-${implementation}-r${repetition}`;
  await context.topics.create([
    { topic, partitions: scenario.partitions },
    { topic: `${topic}.reply`, partitions: 1 },
  ]);
  try {
    const connection = { implementation, brokers: context.brokers, topic, groupId: topic };
    const kip848 = implementation === 'rxkafka-platformatic';
    const { groupHeartbeatMs } = scenario;
    if (kip848 && groupHeartbeatMs) {
      // rxkafka's servers join `<groupId>-server` (NestJS's postfix).
      await setConsumerGroupHeartbeat(context.brokers, `${topic}-server`, groupHeartbeatMs);
    }
    const serverSpec: ServerSpec = {
      role: 'server',
      ...connection,
      ...(kip848 ? { groupProtocol: 'consumer' as const } : {}),
      ...(!kip848 && groupHeartbeatMs ? { heartbeatIntervalMs: groupHeartbeatMs } : {}),
      reportOwnership: true,
    };
    const servers: WorkerProcess[] = [];
    for (let index = 0; index < scenario.servers; index++) {
      const server = WorkerProcess.spawn(serverSpec, `${label}-server-${index}`);
      await server.next('ready', STARTUP_TIMEOUT_MS);
      servers.push(server);
    }
    // Loaded now, joined at the change: its process start stays out of the change's window.
    const joining = WorkerProcess.spawn(
      {
        ...serverSpec,
        joinOnCommand: true,
        joinedWhenHolding: Math.floor(scenario.partitions / (scenario.servers + 1)),
      },
      `${label}-server-${scenario.servers}`,
    );
    await joining.next('ready', STARTUP_TIMEOUT_MS);
    const client = WorkerProcess.spawn(
      {
        role: 'client',
        ...connection,
        count: scenario.count,
        concurrency: 64,
        warmupCount: scenario.warmupCount,
        ratePerS: scenario.ratePerS,
        reportSamples: true,
      },
      `${label}-client`,
    );
    await client.next('measuring', STARTUP_TIMEOUT_MS + scenario.timeoutMs);
    await delay(scenario.changeAfterMs);
    const changeStartedAt = Date.now();
    joining.send({ type: 'join' });
    await joining.next('joined', STARTUP_TIMEOUT_MS);
    const [leaving, ...staying] = servers;
    const leaveStartedAt = Date.now();
    leaving.send({ type: 'stop' });
    const left = (await leaving.next('result', STARTUP_TIMEOUT_MS)).result as ServeResult;
    const changeEndedAt = Date.now();
    const requested = (await client.next('result', scenario.timeoutMs)).result as RequestResult;
    const requestsEndedAt = Date.now();
    const remaining = [...staying, joining];
    for (const server of remaining) server.send({ type: 'stop' });
    const served = await Promise.all(
      remaining.map(
        async (server) => (await server.next('result', STARTUP_TIMEOUT_MS)).result as ServeResult,
      ),
    );
    await Promise.all([client, leaving, ...remaining].map((worker) => worker.exit(EXIT_TIMEOUT_MS)));
    if (requested.wrongReplies > 0) {
      throw new Error(`${label}: ${requested.wrongReplies} replies were not the expected sum`);
    }
    const { sentAtMs = [], latencyMs = [] } = requested.samples ?? {};
    const during: number[] = [];
    const steady: number[] = [];
    sentAtMs.forEach((sentAt, index) =>
      (sentAt >= changeStartedAt && sentAt <= changeEndedAt + SETTLE_MS ? during : steady).push(
        latencyMs[index],
      ),
    );
    // Members by their place, as they were started: the leaving one first, the joining one last.
    const members = [left, ...served];
    const { reports, handled } = toOwnershipFacts(members);
    const changeFigures = (from: number, until: number) => {
      const { windowMs, unmoved, handledOnUnmoved } = measureOwnershipChange(
        reports,
        handled,
        scenario.partitions,
        from,
        until,
      );
      return { windowMs, unmovedPartitions: unmoved, handledOnUnmoved };
    };
    return {
      scenario: scenario.id,
      implementation,
      repetition,
      count: scenario.count,
      throughputPerS: requested.throughputPerS,
      durationMs: requested.durationMs,
      latency: requested.latency,
      cpuS: { servers: served.reduce((total, { cpuS }) => total + cpuS, 0), client: requested.cpuS },
      peakRssMb: { client: requested.peakRssMb },
      rebalance: {
        changeMs: changeEndedAt - changeStartedAt,
        during: summarizeLatencies(Float64Array.from(during)),
        steady: summarizeLatencies(Float64Array.from(steady)),
        join: changeFigures(changeStartedAt, leaveStartedAt),
        leave: changeFigures(leaveStartedAt, requestsEndedAt),
      },
    };
  } finally {
    killLiveWorkers();
    await context.topics.delete([topic, `${topic}.reply`]);
  }
}

/** Every member's ownership reports and handled records, named by the member's place. */
function toOwnershipFacts(members: readonly ServeResult[]): {
  reports: OwnershipReport[];
  handled: HandledRecord[];
} {
  const reports: OwnershipReport[] = [];
  const handled: HandledRecord[] = [];
  members.forEach((result, index) => {
    const member = `server-${index}`;
    for (const { atMs, partitions } of result.ownership ?? []) reports.push({ member, atMs, partitions });
    const { partition = [], atMs = [] } = result.handled ?? {};
    partition.forEach((value, at) => handled.push({ member, partition: value, atMs: atMs[at] }));
  });
  return { reports, handled };
}

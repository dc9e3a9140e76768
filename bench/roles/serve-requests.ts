import { loadImplementation } from '../implementations/implementation';
import { onParentCommand, sendToParent } from '../parent-channel';
import { startCpuProfile, type RunningCpuProfile } from '../cpu-profiler';
import { toCpuSeconds, type ProcessMeter } from '../process-meter';
import { SoakMemory } from '../soak-memory';
import type { ServeResult, ServerSpec } from '../worker-protocol';

/**
 * The server role: serves the sum handler until the parent says stop. The parent sends `mark` when the
 * client's measured phase begins (the CPU window starts there) and, in the soak, `warm` when the client's
 * warm-up ended (RSS is noted and then sampled every second).
 */
export async function serveRequests(spec: ServerSpec, meter: ProcessMeter): Promise<ServeResult> {
  const implementation = loadImplementation(spec.implementation);
  if (spec.joinOnCommand) {
    const join = new Promise<void>((resolve) => {
      const stopListening = onParentCommand((command) => {
        if (command.type !== 'join') return;
        stopListening();
        resolve();
      });
    });
    await sendToParent({ type: 'ready' });
    await join;
  }
  const handled = { partition: [] as number[], atMs: [] as number[] };
  const ownership: Array<{ atMs: number; partitions: readonly number[] }> = [];
  let onShare = (): void => undefined;
  const holdsShare = new Promise<void>((resolve) => (onShare = resolve));
  const server = await implementation.startSumServer({
    brokers: spec.brokers,
    topic: spec.topic,
    groupId: spec.groupId,
    groupProtocol: spec.groupProtocol,
    heartbeatIntervalMs: spec.heartbeatIntervalMs,
    ...(spec.reportOwnership
      ? {
          onHandled: (partition: number) => {
            handled.partition.push(partition);
            handled.atMs.push(Date.now());
          },
          onOwnership: (partitions: readonly number[]) => {
            ownership.push({ atMs: Date.now(), partitions });
            if (partitions.length >= (spec.joinedWhenHolding ?? 0)) onShare();
          },
        }
      : {}),
  });
  let mark = meter.snapshot();
  let profile: RunningCpuProfile | undefined;
  const memory = new SoakMemory(meter);
  const stopped = new Promise<void>((resolve) => {
    const stopListening = onParentCommand((command) => {
      if (command.type === 'mark') {
        profile = startCpuProfile(spec.cpuProfilePath);
        mark = meter.snapshot();
      }
      if (command.type === 'warm') {
        memory.markWarm();
      }
      if (command.type === 'stop') {
        stopListening();
        resolve();
      }
    });
  });
  if (spec.joinOnCommand && spec.joinedWhenHolding !== undefined) await holdsShare;
  await sendToParent({ type: spec.joinOnCommand ? 'joined' : 'ready' });
  await stopped;
  const end = meter.snapshot();
  profile?.stop();
  const soak = memory.report(end);
  await server.close();
  return {
    cpuS: toCpuSeconds(mark, end),
    peakRssMb: meter.peakRssMb,
    ...soak,
    ...(spec.reportOwnership ? { handled, ownership } : {}),
  };
}

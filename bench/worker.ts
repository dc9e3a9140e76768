/**
 * A benchmark worker: one implementation in one role (loader, consumer, server, client, …), in its own
 * process so that its CPU time and RSS are its own. Started by bench/run.ts with its spec as JSON in
 * argv[2]; reports over IPC and exits once everything it opened is closed.
 */
import 'reflect-metadata';
import { sendToParent } from './parent-channel';
import { ProcessMeter } from './process-meter';
import { consumeEvents } from './roles/consume-events';
import { loadEvents } from './roles/load-events';
import { produceHostile } from './roles/produce-hostile';
import { replayEvents } from './roles/replay-events';
import { restartProjection } from './roles/restart-projection';
import { sendRequests } from './roles/send-requests';
import { serveRequests } from './roles/serve-requests';
import { transformEvents } from './roles/transform-events';
import type {
  HostileResult,
  LoadResult,
  ConsumeResult,
  PipelineResult,
  RequestResult,
  RestartResult,
  ServeResult,
  WorkerSpec,
} from './worker-protocol';

/** Time a closed worker may take to exit by itself before it is told to: lingering timers are a bug. */
const EXIT_GRACE_MS = 10_000;

function runRole(
  spec: WorkerSpec,
  meter: ProcessMeter,
): Promise<
  LoadResult | ConsumeResult | ServeResult | RequestResult | RestartResult | PipelineResult | HostileResult
> {
  switch (spec.role) {
    case 'loader':
      return loadEvents(spec);
    case 'consumer':
      return consumeEvents(spec, meter);
    case 'server':
      return serveRequests(spec, meter);
    case 'client':
      return sendRequests(spec, meter);
    case 'pipeline':
      return transformEvents(spec, meter);
    case 'replayer':
      return replayEvents(spec, meter);
    case 'projector':
      return restartProjection(spec, meter);
    case 'hostile':
      return produceHostile(spec);
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as WorkerSpec;
  const meter = new ProcessMeter();
  const result = await runRole(spec, meter);
  meter.stop();
  await sendToParent({ type: 'result', result });
  process.disconnect();
  setTimeout(() => {
    console.error(`[bench worker ${spec.role}] still running ${EXIT_GRACE_MS} ms after closing: exiting`);
    process.exit(0);
  }, EXIT_GRACE_MS).unref();
}

main().catch(async (error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  await sendToParent({ type: 'failed', message }).catch(() => undefined);
  process.exit(1);
});

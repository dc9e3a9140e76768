import { WorkerProcess } from '../worker-process';
import type { LoadResult } from '../worker-protocol';
import { EXIT_TIMEOUT_MS, STARTUP_TIMEOUT_MS, type RunContext } from './run-context';

/** Pre-produces `count` events into `topic` from a loader process, as the event scenarios do. */
export async function loadTopic(
  context: RunContext,
  topic: string,
  events: { count: number; keys: number; valueBytes: number },
  label: string,
): Promise<LoadResult> {
  const loader = WorkerProcess.spawn(
    { role: 'loader', brokers: context.brokers, topic, ...events },
    `${label}-loader`,
  );
  const loaded = (await loader.next('result', STARTUP_TIMEOUT_MS + events.count)).result as LoadResult;
  await loader.exit(EXIT_TIMEOUT_MS);
  return loaded;
}

/**
 * The worker's side of the IPC channel to bench/run.ts.
 */
import type { ParentCommand, WorkerMessage } from './worker-protocol';

/** Sends `message` to the parent; resolves once it was handed to the channel. */
export function sendToParent(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('bench workers run as child processes of bench/run.ts, with an IPC channel'));
      return;
    }
    process.send(message, undefined, undefined, (error) => (error ? reject(error) : resolve()));
  });
}

/** Calls `listener` for each command of the parent until the returned function is called. */
export function onParentCommand(listener: (command: ParentCommand) => void): () => void {
  const onMessage = (message: unknown) => listener(message as ParentCommand);
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** A process the spec started under ts-node, with the first JSON line it printed. */
export interface OwnerProcess<T> {
  readonly child: ChildProcess;
  /** The first JSON line on its stdout. */
  readonly ready: Promise<T>;
  /** Everything it wrote to stderr, for failure messages. */
  stderr(): string;
}

/** Starts `script` (a .ts file) under ts-node with `args`; `ready` rejects if it exits before printing JSON. */
export function startOwner<T>(script: string, args: readonly string[] = []): OwnerProcess<T> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', script, ...args], {
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<T>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout
        .split('\n')
        .slice(0, -1)
        .find((candidate) => candidate.startsWith('{'));
      if (line !== undefined) resolve(JSON.parse(line) as T);
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`${script} exited (code ${code}, signal ${signal}) before it was ready:\n${stderr}`)),
    );
  });
  return { child, ready, stderr: () => stderr };
}

/** Whether a process with this id exists (a zombie counts until it is reaped). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Waits until none of `pids` runs and none of `folders` exists, polling every 100 ms; fails after `withinMs`
 * naming what is left. Resolves with the time it took.
 */
export async function expectGone(
  what: { pids: readonly number[]; folders: readonly string[] },
  withinMs: number,
): Promise<number> {
  const started = Date.now();
  const left = () => [
    ...what.pids.filter(isRunning).map((pid) => `process ${pid}`),
    ...what.folders.filter((folder) => existsSync(folder)),
  ];
  while (left().length > 0 && Date.now() - started < withinMs) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(left(), `still there ${withinMs} ms later`).to.deep.equal([]);
  return Date.now() - started;
}

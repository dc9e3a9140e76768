import type { ChildProcess } from 'node:child_process';

/** What the owner asks of the watchdog, one JSON object per line on the watchdog's stdin. */
export type WatchdogCommand =
  | {
      readonly type: 'spawn';
      readonly id: number;
      readonly command: string;
      readonly args: readonly string[];
      /** Appends the program's stdout and stderr to this file; without it they come back in the `exit` event. */
      readonly logFile?: string;
      /** Kills the program (SIGTERM) after this long. */
      readonly timeoutMs?: number;
    }
  | { readonly type: 'kill'; readonly id: number; readonly signal: NodeJS.Signals };

/** What the watchdog tells its owner, one JSON object per line on the watchdog's stdout. */
export type WatchdogEvent =
  | { readonly type: 'spawned'; readonly id: number; readonly pid: number }
  | {
      readonly type: 'exit';
      readonly id: number;
      readonly code: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly stdout: string;
      readonly stderr: string;
      /** Set when the program could not be started at all; `code` is then ENOENT, EACCES… */
      readonly spawnError?: { readonly code?: string; readonly message: string };
    };

/**
 * The watchdog's program. It runs in a Node process of its own, started from this function's source text
 * (`node -e`), so it must not use anything from outside its body: it requires what it needs.
 *
 * It starts the programs its owner asks for as its own children, and holds the read end of a pipe whose only
 * writer is the owner. When that pipe closes, the owner is gone or done (exited, crashed, killed by any signal,
 * SIGKILL included, or it called close()): the watchdog then SIGKILLs every program still running (their data is
 * deleted next, so a graceful stop would only cost time), removes `root`, and exits. A SIGINT, SIGTERM or SIGHUP
 * sent to the watchdog itself does the same. Where util-linux's `setpriv` is installed, each program also gets
 * SIGKILL from the kernel if the watchdog itself dies (PR_SET_PDEATHSIG), so a SIGKILLed watchdog leaves no JVM
 * behind either (its folder then stays).
 */
export function brokerWatchdogProgram(root: string): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- this body runs alone, from its source text */
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const { accessSync, closeSync, constants, openSync, rmSync } =
    require('node:fs') as typeof import('node:fs');
  const { delimiter, join } = require('node:path') as typeof import('node:path');
  const { createInterface } = require('node:readline') as typeof import('node:readline');
  /* eslint-enable @typescript-eslint/no-require-imports */

  // What `ps` shows instead of this whole program's text.
  process.title = `rxkafka-broker-watchdog ${root}`;
  /** The most a SIGKILLed program may take to be reaped before the folder is removed anyway. */
  const REAP_DEADLINE_MS = 10_000;
  const children = new Map<number, ChildProcess>();
  let closing = false;

  const setpriv = (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'setpriv'))
    .find((path) => {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });

  const send = (event: WatchdogEvent): void => {
    if (process.stdout.writable) process.stdout.write(`${JSON.stringify(event)}\n`);
  };

  const finish = (): void => {
    try {
      rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    } finally {
      process.exit(0);
    }
  };

  const closeDown = (): void => {
    if (closing) return;
    closing = true;
    for (const child of children.values()) child.kill('SIGKILL');
    if (children.size === 0) finish();
    else setTimeout(finish, REAP_DEADLINE_MS).unref();
  };

  const start = (command: Extract<WatchdogCommand, { type: 'spawn' }>): void => {
    const logFd = command.logFile === undefined ? undefined : openSync(command.logFile, 'a');
    const [program, args] = setpriv
      ? [setpriv, ['--pdeathsig', 'KILL', '--', command.command, ...command.args]]
      : [command.command, [...command.args]];
    const child = spawn(program, args, {
      stdio: logFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd],
      timeout: command.timeoutMs,
    });
    if (logFd !== undefined) closeSync(logFd);
    children.set(command.id, child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let ended = false;
    const end = (rest: Pick<Extract<WatchdogEvent, { type: 'exit' }>, 'code' | 'signal' | 'spawnError'>) => {
      if (ended) return;
      ended = true;
      children.delete(command.id);
      send({ type: 'exit', id: command.id, stdout, stderr, ...rest });
      if (closing && children.size === 0) finish();
    };
    child.once('spawn', () => send({ type: 'spawned', id: command.id, pid: child.pid ?? -1 }));
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) {
        end({ code: null, signal: null, spawnError: { code: error.code, message: error.message } });
      }
    });
    child.once('close', (code, signal) => end({ code, signal }));
  };

  const handle = (line: string): void => {
    if (closing || line.trim() === '') return;
    let command: WatchdogCommand;
    try {
      command = JSON.parse(line) as WatchdogCommand;
    } catch {
      return;
    }
    if (command.type === 'kill') {
      children.get(command.id)?.kill(command.signal);
      return;
    }
    try {
      start(command);
    } catch (error) {
      // A log file that cannot be opened, arguments spawn() refuses: this program fails, the others run on.
      const { code, message } = error as NodeJS.ErrnoException;
      const spawnError = { code, message };
      send({ type: 'exit', id: command.id, code: null, signal: null, stdout: '', stderr: '', spawnError });
    }
  };

  // Once the owner is gone, writes to it fail with EPIPE: nobody is left to tell.
  process.stdout.on('error', () => undefined);
  process.stdin.on('error', closeDown);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, closeDown);
  const input = createInterface({ input: process.stdin });
  input.on('line', handle);
  input.on('close', closeDown);
}

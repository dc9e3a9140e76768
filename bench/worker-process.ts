/**
 * The parent's handle on a worker process: spawns it with ts-node (transpile-only), queues its IPC
 * messages, and kills it on demand. Every live worker is tracked so the parent can kill leftovers when a
 * run fails or the benchmark is interrupted.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ParentCommand, WorkerMessage, WorkerSpec } from './worker-protocol';

const WORKER_PATH = join(__dirname, 'worker.ts');
const live = new Set<WorkerProcess>();

export class WorkerProcess {
  readonly #child: ChildProcess;
  readonly #label: string;
  readonly #queue: WorkerMessage[] = [];
  #waiter: (() => void) | undefined;
  #exitCode: number | null | undefined;
  readonly #exited: Promise<number | null>;

  /** Starts a worker for `spec`. */
  static spawn(spec: WorkerSpec, label: string): WorkerProcess {
    return new WorkerProcess(spec, label);
  }

  private constructor(spec: WorkerSpec, label: string) {
    this.#label = label;
    this.#child = fork(WORKER_PATH, [JSON.stringify(spec)], {
      execArgv: [
        ...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []),
        '--expose-gc',
        '-r',
        'ts-node/register',
      ],
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this);
    this.#child.on('message', (message: WorkerMessage) => {
      this.#queue.push(message);
      this.#waiter?.();
    });
    this.#exited = new Promise((resolve) => {
      this.#child.on('exit', (code) => {
        this.#exitCode = code;
        live.delete(this);
        this.#waiter?.();
        resolve(code);
      });
    });
  }

  /**
   * Resolves with the worker's next message of `type`, skipping none: messages arrive in the order the
   * protocol defines. Rejects when the worker reports a failure, exits first, or `timeoutMs` passes.
   */
  async next<T extends WorkerMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<WorkerMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.#queue.shift();
      if (message?.type === 'failed') throw new Error(`${this.#label} failed: ${message.message}`);
      if (message?.type === type) return message as Extract<WorkerMessage, { type: T }>;
      if (message) throw new Error(`${this.#label} sent '${message.type}' where '${type}' was expected`);
      if (this.#exitCode !== undefined) {
        throw new Error(`${this.#label} exited (code ${this.#exitCode}) before sending '${type}'`);
      }
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) throw new Error(`${this.#label} sent no '${type}' within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remainingMs);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
  }

  /** Sends a command; ignored by a worker that already exited. */
  send(command: ParentCommand): void {
    if (this.#exitCode === undefined && this.#child.connected) this.#child.send(command);
  }

  /** Waits for the worker to exit by itself; kills it when `timeoutMs` passes first. Returns its exit code. */
  async exit(timeoutMs: number): Promise<number | null> {
    const timer = setTimeout(() => {
      console.error(`[bench] ${this.#label} did not exit within ${timeoutMs} ms after reporting: killing it`);
      this.kill();
    }, timeoutMs);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the worker (SIGKILL: a stuck worker must not hold the benchmark). */
  kill(): void {
    if (this.#exitCode === undefined) this.#child.kill('SIGKILL');
  }
}

/** Kills every worker still running; returns how many there were. */
export function killLiveWorkers(): number {
  const count = live.size;
  for (const worker of live) worker.kill();
  return count;
}

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { brokerWatchdogProgram, type WatchdogCommand, type WatchdogEvent } from './broker-watchdog-program';
import type { CommandResult } from './run-command';

/** How a watched program ended. */
export interface WatchedExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Its output, when it was not written to a log file. */
  readonly stdout: string;
  readonly stderr: string;
  /** Set when it never ran (not installed, or the watchdog was gone): what went wrong. */
  readonly failure?: { readonly code?: string; readonly message: string };
}

/** A program the watchdog started for its owner. */
export interface WatchedProcess {
  /** Its process id once it runs; undefined when it could not be started. */
  readonly pid: Promise<number | undefined>;
  /** Settles once it has exited (or could not be started). */
  readonly exited: Promise<WatchedExit>;
  /** Sends it a signal; nothing once it has exited. */
  kill(signal: NodeJS.Signals): void;
}

interface Pending {
  readonly settlePid: (pid: number | undefined) => void;
  readonly settleExit: (exit: WatchedExit) => void;
}

/**
 * Starts programs (the broker JVMs, the storage formatter) for the process that owns a temporary folder, and
 * guarantees that neither the programs nor the folder outlive that process, however it ends: a SIGKILLed test
 * runner, a `timeout` that stops `npm start`, a crash, a forgotten stop(). The programs run as children of a
 * small Node process (see brokerWatchdogProgram) in a session of its own, so a terminal's Ctrl-C reaches the
 * application and not them; that process kills them and removes the folder once its pipe from the owner closes,
 * which the kernel does when the owner dies by any signal.
 */
export class BrokerWatchdog {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, Pending>();
  readonly #closed: Promise<void>;
  #nextId = 1;
  #gone = false;

  private constructor(root: string) {
    // Without NODE_OPTIONS: a `--require ts-node/register` there would cost the watchdog seconds and memory.
    const { NODE_OPTIONS: _nodeOptions, ...env } = process.env;
    this.#child = spawn(
      process.execPath,
      ['-e', `(${brokerWatchdogProgram.toString()})(process.argv[1])`, root],
      { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env },
    );
    let stderr = '';
    this.#child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
    this.#child.stdin.on('error', () => undefined);
    createInterface({ input: this.#child.stdout }).on('line', (line) => this.#receive(line));
    this.#closed = new Promise((resolve) => {
      const gone = (reason: string) => {
        if (this.#gone) return;
        this.#gone = true;
        for (const pending of this.#pending.values()) {
          pending.settlePid(undefined);
          pending.settleExit({
            code: null,
            signal: null,
            stdout: '',
            stderr: '',
            failure: { message: reason },
          });
        }
        this.#pending.clear();
        resolve();
      };
      this.#child.once('error', (error) => gone(`the broker watchdog could not start: ${error.message}`));
      this.#child.once('close', (code, signal) =>
        gone(
          `the broker watchdog exited (code ${code}, signal ${signal})${stderr ? `: ${stderr.trim()}` : ''}`,
        ),
      );
    });
    this.#updateRef();
  }

  /**
   * Starts a watchdog for `root`: it removes that folder, and kills every program it started, once the calling
   * process closes it (close()) or dies.
   */
  static start(root: string): BrokerWatchdog {
    return new BrokerWatchdog(root);
  }

  /** The watchdog's own process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Starts a long-running program whose stdout and stderr are appended to `logFile`. */
  spawn(command: string, args: readonly string[], options: { logFile: string }): WatchedProcess {
    return this.#start({ command, args, logFile: options.logFile });
  }

  /** Runs a program to completion, capturing its output, like runCommand(); never throws. */
  async run(
    command: string,
    args: readonly string[],
    options: { timeoutMs?: number } = {},
  ): Promise<CommandResult> {
    const exit = await this.#start({ command, args, timeoutMs: options.timeoutMs }).exited;
    const spawnError =
      exit.failure && Object.assign(new Error(exit.failure.message), { code: exit.failure.code });
    return { code: exit.code, stdout: exit.stdout, stderr: exit.stderr, ...(spawnError && { spawnError }) };
  }

  /**
   * Kills whatever it still runs (SIGKILL), removes the folder, and resolves once the watchdog has exited. Stop
   * the programs first to let them end gracefully.
   */
  async close(): Promise<void> {
    this.#updateRef(true);
    this.#child.stdin.end();
    await this.#closed;
  }

  #start(spec: Omit<Extract<WatchdogCommand, { type: 'spawn' }>, 'type' | 'id'>): WatchedProcess {
    const id = this.#nextId++;
    let settlePid!: (pid: number | undefined) => void;
    let settleExit!: (exit: WatchedExit) => void;
    const pid = new Promise<number | undefined>((resolve) => (settlePid = resolve));
    const exited = new Promise<WatchedExit>((resolve) => (settleExit = resolve));
    if (this.#gone) {
      settlePid(undefined);
      settleExit({
        code: null,
        signal: null,
        stdout: '',
        stderr: '',
        failure: { message: 'the broker watchdog is closed' },
      });
    } else {
      this.#pending.set(id, { settlePid, settleExit });
      this.#send({ type: 'spawn', id, ...spec });
      this.#updateRef();
    }
    return {
      pid,
      exited,
      kill: (signal) => {
        if (this.#pending.has(id)) this.#send({ type: 'kill', id, signal });
      },
    };
  }

  #send(command: WatchdogCommand): void {
    this.#child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  #receive(line: string): void {
    let event: WatchdogEvent;
    try {
      event = JSON.parse(line) as WatchdogEvent;
    } catch {
      return; // The watchdog writes only JSON lines; anything else is not an event.
    }
    const pending = this.#pending.get(event.id);
    if (!pending) return;
    if (event.type === 'spawned') {
      pending.settlePid(event.pid);
      return;
    }
    this.#pending.delete(event.id);
    pending.settlePid(undefined);
    const { code, signal, stdout, stderr, spawnError } = event;
    pending.settleExit({ code, signal, stdout, stderr, ...(spawnError && { failure: spawnError }) });
    this.#updateRef();
  }

  /**
   * Keeps the owner's event loop alive while a program runs, as a child process of its own would, and not
   * longer: an owner that ends with nothing running exits, and the watchdog then cleans up. A close() keeps it
   * alive until the watchdog has exited.
   */
  #updateRef(closing = false): void {
    const running = closing || this.#pending.size > 0;
    const handles: Array<{ ref(): unknown; unref(): unknown }> = [
      this.#child,
      this.#child.stdin as unknown as Socket,
      this.#child.stdout as unknown as Socket,
      this.#child.stderr as unknown as Socket,
    ];
    for (const handle of handles) {
      if (running) handle.ref();
      else handle.unref();
    }
  }
}

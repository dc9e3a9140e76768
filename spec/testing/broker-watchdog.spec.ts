import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerWatchdog } from '../../lib/testing/broker-watchdog';
import { runCommand } from '../../lib/testing/run-command';
import { expectGone, isRunning, startOwner, type OwnerProcess } from './support/owner-process';

/** Generous: the machine is shared; the watchdog usually needs well under a second. */
const GONE_WITHIN_MS = 15_000;

/** Waits until `pid` has exec'd `name` (Linux's /proc), so whatever ran before it in that process is done. */
async function programRuns(pid: number, name: string): Promise<void> {
  const deadline = Date.now() + GONE_WITHIN_MS;
  const comm = (): string => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  while (comm() !== name) {
    if (Date.now() > deadline)
      throw new Error(`process ${pid} did not exec ${name} within ${GONE_WITHIN_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('BrokerWatchdog', () => {
  let folder: string;
  let watchdog: BrokerWatchdog;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'rxkafka-watchdog-spec-'));
    watchdog = BrokerWatchdog.start(folder);
  });
  afterEach(async () => {
    await watchdog.close();
    rmSync(folder, { recursive: true, force: true });
  });

  describe('.run()', () => {
    it('returns the exit code and both outputs of a program', async () => {
      const result = await watchdog.run('sh', ['-c', 'echo out; echo err >&2; exit 3']);
      expect(result).to.deep.include({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    });

    it('stops a program that outlasts its timeout', async () => {
      const result = await watchdog.run('sleep', ['600'], { timeoutMs: 200 });
      expect(result.code).to.equal(null);
    });
  });

  describe('.spawn()', () => {
    it('appends the output to the log file, and kill() ends the program with that signal', async () => {
      const logFile = join(folder, 'program.log');
      const program = watchdog.spawn('sh', ['-c', 'echo started; exec sleep 600'], { logFile });
      const pid = await program.pid;
      expect(pid).to.be.a('number');
      expect(isRunning(pid as number)).to.equal(true);
      while (!existsSync(logFile) || readFileSync(logFile, 'utf8') === '') {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      program.kill('SIGTERM');
      const exit = await program.exited;
      expect(exit.signal).to.equal('SIGTERM');
      expect(readFileSync(logFile, 'utf8')).to.equal('started\n');
    });

    it('fails a program whose log file cannot be opened, and runs the next one', async () => {
      const logFile = join(folder, 'missing', 'program.log');
      const exit = await watchdog.spawn('sleep', ['600'], { logFile }).exited;
      expect(exit.failure?.code).to.equal('ENOENT');
      expect((await watchdog.run('sh', ['-c', 'echo next'])).stdout).to.equal('next\n');
    });
  });

  describe('.close()', () => {
    it('kills what still runs, removes the folder and exits', async () => {
      const program = watchdog.spawn('sleep', ['600'], { logFile: join(folder, 'sleep.log') });
      const pid = (await program.pid) as number;
      const watchdogPid = watchdog.pid as number;
      await watchdog.close();
      expect((await program.exited).signal).to.equal('SIGKILL');
      await expectGone({ pids: [pid, watchdogPid], folders: [folder] }, GONE_WITHIN_MS);
    });

    it('leaves nothing to run afterwards: a later program fails at once', async () => {
      await watchdog.close();
      const result = await watchdog.run('true', []);
      expect(result.spawnError?.message).to.contain('closed');
    });
  });

  context('when the process that started it dies', () => {
    interface Ready {
      readonly pid: number;
      readonly watchdogPid: number;
      readonly folder: string;
    }
    let owner: OwnerProcess<Ready> | undefined;
    afterEach(async () => {
      owner?.child.kill('SIGKILL');
      const ready = await owner?.ready.catch(() => undefined);
      // Only what this spec started, should an assertion have failed.
      if (ready) {
        for (const pid of [ready.pid, ready.watchdogPid]) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
        rmSync(ready.folder, { recursive: true, force: true });
      }
      owner = undefined;
    });

    for (const signal of ['SIGKILL', 'SIGTERM', 'SIGINT'] as const) {
      it(`kills the programs and removes the folder when it gets ${signal}`, async function () {
        this.timeout(60_000);
        owner = startOwner<Ready>('spec/testing/support/watchdog-owner.ts');
        const ready = await owner.ready;
        expect(isRunning(ready.pid), 'the program runs').to.equal(true);
        expect(existsSync(ready.folder), 'the folder exists').to.equal(true);
        owner.child.kill(signal);
        await expectGone({ pids: [ready.pid, ready.watchdogPid], folders: [ready.folder] }, GONE_WITHIN_MS);
      });
    }
  });

  context('when it is itself SIGKILLed', () => {
    it("takes its programs with it (the kernel's parent-death signal, where setpriv is installed)", async function () {
      const setpriv = await runCommand('sh', ['-c', 'command -v setpriv']);
      if (setpriv.code !== 0) {
        // Without util-linux's setpriv (macOS) only the watchdog's own clean-up stands between a JVM and an orphan.
        this.skip();
      }
      const pid = (await watchdog.spawn('sleep', ['600'], { logFile: join(folder, 'sleep.log') })
        .pid) as number;
      // `spawned` comes once setpriv is exec'd; it arms the parent-death signal and then execs the program. A
      // watchdog killed between the two leaves an unguarded child, so kill it only once the program runs.
      await programRuns(pid, 'sleep');
      process.kill(watchdog.pid as number, 'SIGKILL');
      await expectGone({ pids: [pid], folders: [] }, GONE_WITHIN_MS);
    });
  });
});

import { expect } from 'chai';
import { existsSync, rmSync } from 'node:fs';
import type { LocalKafkaOptions } from '../../lib/testing';
import { runCommand } from '../../lib/testing/run-command';
import { expectGone, isRunning, startOwner, type OwnerProcess } from './support/owner-process';

/** What spec/testing/support/broker-owner.ts prints once its broker is ready. */
interface Ready {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly pid: number; readonly dir: string }>;
  readonly folders: readonly string[];
}

/** Generous: the machine is shared; the broker is usually gone well under a second after its owner. */
const GONE_WITHIN_MS = 15_000;

async function parentOf(pid: number): Promise<number> {
  return Number((await runCommand('ps', ['-o', 'ppid=', '-p', String(pid)])).stdout.trim());
}

async function commandLineOf(pid: number): Promise<string> {
  return (await runCommand('ps', ['-ww', '-o', 'args=', '-p', String(pid)])).stdout.trim();
}

describe('startLocalKafka() when the process that started it dies (integration)', function () {
  // Each case starts its own JVMs (from the Maven jars) in a child process under ts-node.
  this.timeout(240_000);
  let owner: OwnerProcess<Ready> | undefined;
  let watched: { pids: number[]; folders: string[] } = { pids: [], folders: [] };

  afterEach(async () => {
    owner?.child.kill('SIGKILL');
    await owner?.ready.catch(() => undefined);
    // Only what this spec started, should an assertion have failed.
    for (const pid of watched.pids) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    for (const folder of watched.folders) rmSync(folder, { recursive: true, force: true });
    owner = undefined;
    watched = { pids: [], folders: [] };
  });

  /** Starts a broker owner, checks that its JVMs and folder are there, and returns what to watch. */
  async function startBrokerOwner(options: LocalKafkaOptions): Promise<Ready> {
    owner = startOwner<Ready>('spec/testing/support/broker-owner.ts', [JSON.stringify(options)]);
    const ready = await owner.ready;
    const brokerPids = ready.nodes.map((node) => node.pid);
    const watchdogPids = [...new Set(await Promise.all(brokerPids.map(parentOf)))];
    watched = { pids: [...brokerPids, ...watchdogPids], folders: [...ready.folders] };
    expect(ready.nodes, owner.stderr()).to.have.length(options.nodes ?? 1);
    expect(ready.folders).to.have.length(1);
    for (const node of ready.nodes) {
      expect(await commandLineOf(node.pid))
        .to.contain('kafka.Kafka')
        .and.contain(node.dir);
    }
    expect(watchdogPids, 'one watchdog per cluster').to.have.length(1);
    expect(await parentOf(watchdogPids[0])).to.equal(owner.child.pid);
    expect(existsSync(ready.folders[0])).to.equal(true);
    return ready;
  }

  async function expectBrokerGoneAfter(signal: NodeJS.Signals): Promise<void> {
    owner?.child.kill(signal);
    const tookMs = await expectGone(watched, GONE_WITHIN_MS);
    process.stdout.write(
      `      [owner] ${watched.pids.length} processes and the folder gone ${tookMs} ms after ${signal}\n`,
    );
  }

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`stops the broker and removes its folder when the owner gets ${signal}`, async () => {
      await startBrokerOwner({ nodes: 1, heapMb: 256 });
      await expectBrokerGoneAfter(signal);
    });
  }

  it('stops every node of a secured cluster and removes its folder when the owner is SIGKILLed', async () => {
    await startBrokerOwner({ nodes: 2, heapMb: 256, security: 'sasl_ssl' });
    await expectBrokerGoneAfter('SIGKILL');
  });
});

/**
 * `npm start` as a newcomer runs it: the showcase (inspector URL, a second member joining and leaving,
 * Ctrl-C drains and prints the reports) and `npm start -- --once` (one round trip, one keyed reply, one
 * event). Both run examples/demo.ts in a child process against this run's broker (KAFKA_BROKERS).
 */
import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { useTestBroker } from '../support/global-broker';
import { launchHeadlessBrowser } from '../inspector/support/headless-browser';

const ROOT = join(__dirname, '..', '..');

function startDemo(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcessWithoutNullStreams; output: () => string } {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', 'examples/demo.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function waitForOutput(
  output: () => string,
  pattern: RegExp,
  what: string,
  timeoutMs = 60_000,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output());
    if (match) return match;
    if (Date.now() > deadline)
      throw new Error(`no ${what} within ${timeoutMs} ms; the demo printed:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The exit code, once the process has exited and its output is all read: 'exit' can come before the last
 * stdout chunk, 'close' comes after the streams end.
 */
function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.stdout.readableEnded && child.stderr.readableEnded && child.exitCode !== null) {
    return Promise.resolve(child.exitCode);
  }
  return new Promise((resolve) => child.once('close', (code) => resolve(code)));
}

describe('npm start (integration)', function () {
  this.timeout(180_000);

  it('--once: prints one round trip, one keyed reply and one event, then exits 0 with no warning', async () => {
    const { brokers } = await useTestBroker();
    const demo = startDemo(['--once'], { KAFKA_BROKERS: brokers.join(',') });
    expect(await exitOf(demo.child)).to.equal(0);
    const output = demo.output();
    expect(output).to.match(
      /\[heroes\] hero\.kill\.dragon → \[\{"id":1,"name":"Mythical Sword"\},\{"id":2,"name":"Key to Dungeon"\}\]/,
    );
    expect(output).to.include('[heroes] hero.kill.dragon.keyed →');
    expect(output).to.include('[heroes] hero.killed.dragon emitted');
    expect(output).to.match(/\[heroes\] server closed: [1-9]\d* records handled/);
    expect(output).not.to.match(/WARN|ERROR/);
  });

  it('serves the inspector, moves a second member in and out of the group, and drains on Ctrl-C', async () => {
    const { brokers } = await useTestBroker();
    const demo = startDemo([], { KAFKA_BROKERS: brokers.join(','), RXKAFKA_DEMO_CYCLE_MS: '3000' });
    try {
      const [, url] = await waitForOutput(
        demo.output,
        /\[heroes\] inspector: (http:\/\/127\.0\.0\.1:\d+\/)/,
        'inspector URL',
      );
      await waitForOutput(demo.output, /server-b joined the group/, 'second member joining');
      // What a newcomer sees: a screenshot of the page while both members share the group.
      const browser = await launchHeadlessBrowser();
      try {
        const page = await browser.newPage();
        await page.setViewport({ width: 1680, height: 1050 });
        await page.goto(url);
        await page.waitForFunction(
          `document.querySelectorAll('.source').length === 3 && document.querySelector('.source[data-source="server-b"] tr[data-partition]') !== null`,
          { timeout: 30_000, polling: 'mutation' },
        );
        mkdirSync(join(ROOT, 'spec-artifacts'), { recursive: true });
        await page.screenshot({ path: join(ROOT, 'spec-artifacts', 'showcase.png') });
      } finally {
        await browser.close();
      }
      await waitForOutput(demo.output, /server-b left the group/, 'second member leaving');
      const events = await fetch(new URL('events', url));
      const reader = events.body!.getReader();
      let text = '';
      while (!/event: history\ndata: .*\n\n/.test(text))
        text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      // The inspector saw server-a rebalance, and server-b's partition actors appear.
      expect(text).to.match(
        /"source":"server-a","from":"assigned","event":"kafka.rebalance.started","to":"rebalancing"/,
      );
      expect(text).to.match(/"source":"server-b"[^\n]*"partitions":\[\{"id":"partition:hero\.kill\.dragon\//);
      demo.child.kill('SIGINT');
      expect(await exitOf(demo.child)).to.equal(0);
      const output = demo.output();
      expect(output).to.include('[heroes] draining…');
      expect(output).to.match(/\[heroes\] server-a drained in \d+ ms: [1-9]\d* records handled, 0 abandoned/);
      expect(output).to.match(/\[heroes\] server-b drained in \d+ ms/);
      expect(output).to.include('[heroes] client closed: 0 pending requests failed');
      expect(output).not.to.match(/ERROR/);
    } finally {
      if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
    }
  });
});

/**
 * The whole fleet through Kafka: three server processes of one group publish their actors' entries to a
 * topic, and one inspector, reading only that topic, shows all three side by side and who owns which
 * partition after each rebalance.
 */
import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { startInspector, type Inspector, type InspectorEntry } from '../../lib/inspector';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { launchHeadlessBrowser } from './support/headless-browser';

const ROOT = join(__dirname, '..', '..');
const PARTITIONS = 6;

/** Who holds each partition of `topic` by the latest entries of running members: partition → members. */
function ownership(entries: readonly InspectorEntry[], topic: string): Map<number, string[]> {
  const latest = new Map<string, { state: string; partitions: number[] }>();
  for (const entry of entries) {
    const held = latest.get(entry.member) ?? { state: 'idle', partitions: [] };
    if (entry.kind === 'source') held.state = entry.state;
    if (entry.kind === 'edge') held.state = entry.to;
    const partitions =
      entry.kind === 'partitions' ? entry.partitions : entry.kind === 'edge' ? entry.partitions : undefined;
    if (partitions) held.partitions = partitions.filter((p) => p.topic === topic).map((p) => p.partition);
    latest.set(entry.member, held);
  }
  const owners = new Map<number, string[]>();
  for (const [member, { state, partitions }] of latest) {
    if (!state.startsWith('assigned')) continue;
    for (const partition of partitions) owners.set(partition, [...(owners.get(partition) ?? []), member]);
  }
  return owners;
}

function isSplitAmong(owners: Map<number, string[]>, members: readonly string[]): boolean {
  if (owners.size !== PARTITIONS) return false;
  const holders = new Set<string>();
  for (const held of owners.values()) {
    if (held.length !== 1) return false;
    holders.add(held[0]);
  }
  return holders.size === members.length && members.every((member) => holders.has(member));
}

async function eventually(
  check: () => boolean,
  what: string,
  explain: () => string,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the fleet in one inspector, through Kafka (integration)', function () {
  this.timeout(300_000);
  const members = new Map<string, ChildProcessWithoutNullStreams>();
  let inspector: Inspector | undefined;
  let browser: Browser | undefined;

  after(async () => {
    for (const child of members.values()) if (child.exitCode === null) child.kill('SIGKILL');
    await browser?.close();
    await inspector?.close();
  });

  it('shows three server processes side by side, and the partitions moving when one leaves', async () => {
    const { brokers } = await useTestBroker();
    const topic = uniqueName('fleet');
    const inspection = uniqueName('fleet-inspection');
    await createTopics([
      { topic, numPartitions: PARTITIONS },
      { topic: inspection, numPartitions: 3 },
    ]);
    const group = uniqueName('fleet-group');
    inspector = await startInspector({ fleet: { topic: inspection, client: { brokers: [...brokers] } } });

    const start = async (member: string): Promise<void> => {
      const child = spawn(
        process.execPath,
        ['-r', 'ts-node/register', 'spec/inspector/support/fleet-member.ts'],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            TS_NODE_TRANSPILE_ONLY: 'true',
            KAFKA_BROKERS: brokers.join(','),
            FLEET_TOPIC: topic,
            FLEET_GROUP: group,
            FLEET_INSPECTION: inspection,
            FLEET_MEMBER: member,
          },
        },
      );
      members.set(member, child);
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await eventually(
        () => output.includes('ready'),
        `${member} to be ready`,
        () => output,
      );
    };
    const entries = () => inspector!.history.entries();
    const explain = () => JSON.stringify([...ownership(entries(), topic)]);

    await start('member-1');
    await Promise.all([start('member-2'), start('member-3')]);
    await eventually(
      () => isSplitAmong(ownership(entries(), topic), ['member-1', 'member-2', 'member-3']),
      'the six partitions split among the three members, each held once',
      explain,
    );

    browser = await launchHeadlessBrowser();
    const page = await browser.newPage();
    await page.setViewport({ width: 1680, height: 1200 });
    await page.goto(inspector.url);
    await page.waitForFunction(`document.querySelectorAll('.member').length === 3`, {
      timeout: 30_000,
      polling: 'mutation',
    });
    const sections = await page.$$eval('.member > h2', (titles) => titles.map((title) => title.textContent));
    expect(sections).to.have.members(['process member-1', 'process member-2', 'process member-3']);
    await page.waitForFunction(
      `document.querySelectorAll('#ownership tr[data-owned^="${topic}/"]').length === ${PARTITIONS}`,
      {
        timeout: 30_000,
        polling: 'mutation',
      },
    );
    mkdirSync(join(ROOT, 'spec-artifacts'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'spec-artifacts', 'fleet-three-members.png'), fullPage: true });

    // member-3 drains and leaves: the other two take its partitions, and the page says so.
    const leaving = members.get('member-3')!;
    leaving.kill('SIGTERM');
    expect(await new Promise((resolve) => leaving.once('exit', resolve))).to.equal(0);
    await eventually(
      () => isSplitAmong(ownership(entries(), topic), ['member-1', 'member-2']),
      'the six partitions split between the two remaining members',
      explain,
    );
    await page.waitForFunction(
      `(() => { const owners = Array.from(document.querySelectorAll('#ownership tr[data-owned^="${topic}/"] td.owner')).map((cell) => cell.textContent); return owners.length === ${PARTITIONS} && owners.every((owner) => owner === 'member-1 · server' || owner === 'member-2 · server'); })()`,
      { timeout: 30_000, polling: 'mutation' },
    );
    await page.screenshot({ path: join(ROOT, 'spec-artifacts', 'fleet-after-leave.png'), fullPage: true });
    const member3State = await page.$eval('#member-member-3 .source .state', (state) => state.textContent);
    expect(member3State).to.equal('stopped');
  });
});

/**
 * The inspector as a person looks at it: a real headless browser opens the page while a server and a
 * client run against the broker, sees the chart with the current state highlighted, sees a rebalance move
 * the state and the partition rows, scrubs back to the earlier state, and renders a replayed recording.
 * Screenshots go to spec-artifacts/ (git-ignored).
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Container } from 'inversify';
import type { Browser, Page } from 'puppeteer-core';
import { firstValueFrom } from 'rxjs';
import {
  Controller,
  EventPattern,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  Payload,
  registerControllers,
  silentLogger,
} from '../../lib';
import { specDriver } from '../support/spec-driver';
import { createRawKafka } from '../reliability/support/raw-kafka';
import { startInspector, type Inspector } from '../../lib/inspector';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { launchHeadlessBrowser } from './support/headless-browser';

const ARTIFACTS = join(__dirname, '..', '..', 'spec-artifacts');

function createEchoController(topic: string) {
  @Controller()
  class EchoController {
    @MessagePattern(topic)
    echo(@Payload() value: unknown): unknown {
      return value;
    }
  }
  return EchoController;
}

async function waitForPage(page: Page, check: string, what: string, timeoutMs = 30_000): Promise<void> {
  try {
    await page.waitForFunction(check, { timeout: timeoutMs, polling: 'mutation' });
  } catch (error) {
    const shown = await page.$$eval('.source', (panels) =>
      panels.map(
        (panel) => `${panel.getAttribute('data-source')}: ${panel.querySelector('.state')?.outerHTML}`,
      ),
    );
    const value = await page.evaluate(check).catch((failure: unknown) => `threw ${String(failure)}`);
    throw new Error(
      `the page never showed ${what} (it shows ${JSON.stringify(shown)}; check: ${String(value)}): ${String(error)}`,
    );
  }
}

/** The highlighted states of the panel of `source`, as the page draws them. */
function currentStates(page: Page, source: string): Promise<string[]> {
  return page.$$eval(`.source[data-source="${source}"] .chart .current`, (nodes) =>
    nodes.map((node) => node.getAttribute('id') ?? ''),
  );
}

/** The Retries table of the panel of `source`: each row's key attribute and its cells' text. */
function retryRows(page: Page, source: string): Promise<string[][]> {
  return page.$$eval(`.source[data-source="${source}"] table.retries tbody tr`, (rows) =>
    rows.map((row) => [
      row.getAttribute('data-retry-source') ?? `retry-topic:${row.getAttribute('data-retry-topic')}`,
      ...[...row.children].map((cell) => cell.textContent ?? ''),
    ]),
  );
}

function partitionRows(page: Page, source: string): Promise<string[]> {
  return page.$$eval(`.source[data-source="${source}"] tr[data-partition]`, (rows) =>
    rows.map((row) => row.getAttribute('data-partition') ?? ''),
  );
}

describe('the inspector page in a headless browser (integration)', function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  const closing: Array<() => Promise<unknown>> = [];
  const recordingDir = mkdtempSync(join(tmpdir(), 'rxkafka-inspector-'));

  before(async function () {
    this.timeout(120_000);
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchHeadlessBrowser();
  });

  after(async () => {
    for (const close of closing.reverse()) await close().catch(() => undefined);
    await browser?.close();
    rmSync(recordingDir, { recursive: true, force: true });
  });

  it('shows the chart with the current state, follows a rebalance, scrubs back, and replays the recording', async () => {
    const { brokers } = await useTestBroker();
    const topic = uniqueName('inspected');
    await createTopics([
      { topic, numPartitions: 2 },
      { topic: `${topic}.reply`, numPartitions: 1 },
    ]);
    const groupId = uniqueName('inspected-group');
    const makeServer = () => {
      const controller = createEchoController(topic);
      const container = new Container();
      container.bind(controller).toSelf();
      return new KafkaServer(container, {
        controllers: [controller],
        client: { brokers: [...brokers], clientId: uniqueName('inspected-server') },
        consumer: { groupId },
        logger: silentLogger,
        ...specDriver(),
      });
    };
    const server = makeServer();
    closing.push(() => server.close());
    await server.listen();
    const client = new KafkaClient({
      client: { brokers: [...brokers], clientId: uniqueName('inspected-client') },
      logger: silentLogger,
      ...specDriver(),
    });
    closing.push(() => client.close());
    client.subscribeToResponseOf(topic);
    await client.connect();
    expect(await firstValueFrom(client.send(topic, { hello: 'inspector' }))).to.deep.equal({
      hello: 'inspector',
    });

    const recording = join(recordingDir, 'recording.jsonl');
    const inspector: Inspector = await startInspector({ sources: [server, client], record: recording });
    closing.push(() => inspector.close());
    expect(inspector.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const page = await browser!.newPage();
    await page.setViewport({ width: 1500, height: 1100 });
    await page.goto(inspector.url);
    await waitForPage(
      page,
      `document.querySelector('.source[data-source="server"] .chart svg') !== null`,
      'the server’s chart',
    );
    const states = await page.$$eval('.source[data-source="server"] .chart [id^="state:"]', (nodes) =>
      nodes.map((node) => node.getAttribute('id')),
    );
    expect(states).to.include.members([
      'state:idle',
      'state:assigned',
      'state:rebalancing',
      'state:draining.abandoning',
    ]);
    await waitForPage(
      page,
      `document.querySelectorAll('.source[data-source="server"] tr[data-partition]').length === 2`,
      'two partition rows',
    );
    expect(await currentStates(page, 'server')).to.deep.equal(['state:assigned']);
    expect(await partitionRows(page, 'server')).to.have.members([
      `partition:${topic}/0`,
      `partition:${topic}/1`,
    ]);
    await page.screenshot({ path: join(ARTIFACTS, 'inspector-assigned.png'), fullPage: true });

    // A second member joins: the page sees the server rebalance, and its partition rows drop to one.
    const second = makeServer();
    closing.push(() => second.close());
    await second.listen();
    await waitForPage(
      page,
      `Array.from(document.querySelectorAll('#log tbody tr')).some((row) => row.textContent.includes('assigned → rebalancing'))`,
      'the rebalance in the event log',
    );
    await waitForPage(
      page,
      `document.querySelectorAll('.source[data-source="server"] tr[data-partition]').length === 1`,
      'one partition row after the rebalance',
    );
    expect(await currentStates(page, 'server')).to.deep.equal(['state:assigned']);
    await page.screenshot({ path: join(ARTIFACTS, 'inspector-after-rebalance.png'), fullPage: true });

    // Scrubbing back to the rebalance shows the chart as it was then.
    const rebalanceAt = await page.evaluate(() => {
      const inspector = (
        globalThis as unknown as {
          __inspector: { entries: Array<{ kind: string; source: string; to: string }> };
        }
      ).__inspector;
      return inspector.entries.findIndex(
        (entry) => entry.kind === 'edge' && entry.source === 'server' && entry.to === 'rebalancing',
      );
    });
    expect(rebalanceAt).to.be.at.least(0);
    await page.evaluate(
      (index) =>
        (globalThis as unknown as { __inspector: { scrubTo(i: number): void } }).__inspector.scrubTo(index),
      rebalanceAt,
    );
    expect(await currentStates(page, 'server')).to.deep.equal(['state:rebalancing']);
    expect(
      await page.$$eval('.source[data-source="server"] tr[data-partition] .pstate', (cells) =>
        cells.map((cell) => cell.textContent),
      ),
    ).to.deep.equal(['revoking', 'revoking']);
    expect(await page.$eval('#live', (box) => (box as unknown as { checked: boolean }).checked)).to.equal(
      false,
    );
    expect(
      await page.$eval('.source[data-source="server"] g.edge.last', (edge) => edge.getAttribute('id')),
    ).to.equal('arrow:assigned|rebalancing');
    await page.screenshot({ path: join(ARTIFACTS, 'inspector-scrubbed-back.png'), fullPage: true });
    await page.evaluate(() =>
      (globalThis as unknown as { __inspector: { goLive(): void } }).__inspector.goLive(),
    );
    expect(await currentStates(page, 'server')).to.deep.equal(['state:assigned']);

    // Health and metrics come from the same actors.
    const get = async (path: string) => {
      const response = await fetch(new URL(path, inspector.url));
      return { status: response.status, body: await response.text() };
    };
    expect(await get('healthz')).to.deep.include({ status: 200 });
    expect(JSON.parse((await get('readyz')).body)).to.deep.equal({ ok: true, reasons: [] });
    const metrics = (await get('metrics')).body;
    expect(metrics).to.include('rxkafka_connection_state{source="server",state="assigned"} 1');
    expect(metrics).to.include('rxkafka_connection_state{source="server",state="rebalancing"} 0');
    expect(metrics).to.match(
      /rxkafka_transitions_total\{source="server",from="assigned",to="rebalancing"\} [1-9]/,
    );
    expect(metrics).to.match(
      new RegExp(`rxkafka_partition_in_flight\\{source="server",topic="${topic}",partition="\\d"\\} 0`),
    );
    expect(metrics).to.include('rxkafka_requests_pending{source="client"} 0');
    expect(metrics).to.include('rxkafka_records_handled_total{source="server"} 1');
    expect(metrics).to.include('rxkafka_handler_failures_total{source="server"} 0');
    expect(metrics).to.include('rxkafka_replies_sent_total{source="server"} 1');
    await firstValueFrom(client.send(topic, { after: 'the inspector started' }));
    expect((await get('metrics')).body).to.match(
      /rxkafka_request_duration_seconds_count\{source="client",outcome="answered"\} 1\b/,
    );
    await second.close();
    await server.close();
    const notReady = await get('readyz');
    expect(notReady.status).to.equal(503);
    expect(JSON.parse(notReady.body).reasons).to.include('server is stopped');
    expect((await get('healthz')).status).to.equal(200);

    // The same events, recorded as they happened, replayed in a second inspector with no live source.
    await inspector.close();
    const replay = await startInspector({ replay: recording });
    closing.push(() => replay.close());
    await page.close();
    const replayed = await browser!.newPage();
    await replayed.setViewport({ width: 1500, height: 1100 });
    await replayed.goto(replay.url);
    await waitForPage(
      replayed,
      `document.getElementById('link').textContent === 'replay'`,
      'the replay badge',
    );
    await waitForPage(
      replayed,
      `document.querySelector('.source[data-source="server"] .state').textContent === 'stopped'`,
      'the replayed close',
    );
    expect(await currentStates(replayed, 'server')).to.deep.equal(['state:stopped']);
    const logged = await replayed.$$eval('#log tbody tr', (rows) => rows.map((row) => row.textContent ?? ''));
    expect(logged.some((row) => row.includes('assigned → rebalancing'))).to.equal(true);
    await replayed.screenshot({ path: join(ARTIFACTS, 'inspector-replay.png'), fullPage: true });
  });

  it('shows a server’s retries by attempt, the record waiting on its retry topic and when it is due', async function () {
    const { brokers } = await useTestBroker();
    const topic = uniqueName('inspected-retry');
    const DELAY_MS = 8_000;
    const retryTopic = `${topic}.retry.${DELAY_MS}`;
    await createTopics([{ topic, numPartitions: 2 }]);
    let runs = 0;
    @Controller()
    class RetriedController {
      @EventPattern(topic, { retryTopics: { delaysMs: [DELAY_MS], createTopics: true } })
      handle(): void {
        // Its first run fails: the record waits on the retry topic, then its second run succeeds.
        runs += 1;
        if (runs === 1) throw new Error('the payment service is down');
      }
    }
    const container = new Container();
    registerControllers(container, [RetriedController]);
    const server = new KafkaServer(container, {
      controllers: [RetriedController],
      client: { brokers: [...brokers], clientId: uniqueName('inspected-retry-server') },
      consumer: { groupId: uniqueName('inspected-retry-group') },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      ...specDriver(),
    });
    closing.push(() => server.close());
    await server.listen();
    const inspector = await startInspector({ sources: [{ name: 'orders', source: server }] });
    closing.push(() => inspector.close());
    const page = await browser!.newPage();
    await page.setViewport({ width: 1500, height: 1300 });
    await page.goto(inspector.url);
    await waitForPage(
      page,
      `document.querySelector('.source[data-source="orders"] table.retries tr[data-retry-topic]') !== null`,
      'the Retries table',
    );
    expect(await retryRows(page, 'orders')).to.deep.equal([
      [topic, topic, 'none', '0', '', '—'],
      [`retry-topic:${retryTopic}`, `↳ ${retryTopic}`, '', '0', '', '—'],
    ]);

    const producer = createRawKafka([...brokers]).producer();
    await producer.connect();
    closing.push(() => producer.disconnect());
    await producer.send({ topic, messages: [{ key: 'order-1', value: '{"id":"order-1"}' }] });
    await waitForPage(
      page,
      `document.querySelector('.source[data-source="orders"] tr[data-retry-topic] td:nth-child(3)')?.textContent === '1'`,
      'the record waiting on the retry topic',
    );
    const [waiting] = server.stats.retryWaiting;
    expect(waiting.oldestDueAt).to.be.a('number');
    const rows = await retryRows(page, 'orders');
    // Each row's last cell is the due time, checked apart: its "in N s" counts down.
    expect(rows.map((row) => row.slice(0, 5))).to.deep.equal([
      [topic, topic, 'attempt 1: 1', '1', ''],
      [
        `retry-topic:${retryTopic}`,
        `↳ ${retryTopic}`,
        '',
        '1',
        `partition ${waiting.partitions[0].partition}, offset 0`,
      ],
    ]);
    for (const row of rows) expect(row[5]).to.match(/^\d\d:\d\d:\d\d\.\d{3} \(in \d+ s\)$/);
    expect(
      await page.$$eval('.source[data-source="orders"] td[data-due-at]', (cells) =>
        cells.map((cell) => Number(cell.getAttribute('data-due-at'))),
      ),
    ).to.deep.equal([waiting.oldestDueAt, waiting.oldestDueAt]);
    await page.screenshot({ path: join(ARTIFACTS, 'inspector-retries.png'), fullPage: true });

    // Once due, the record runs again and succeeds: nothing waits, the forward stays counted.
    await waitForPage(
      page,
      `document.querySelector('.source[data-source="orders"] tr[data-retry-topic] td:nth-child(3)')?.textContent === '0'`,
      'nothing waiting after the retry ran',
      60_000,
    );
    expect(runs).to.equal(2);
    expect(await retryRows(page, 'orders')).to.deep.equal([
      [topic, topic, 'attempt 1: 1', '0', '', '—'],
      [`retry-topic:${retryTopic}`, `↳ ${retryTopic}`, '', '0', '', '—'],
    ]);
  });
});

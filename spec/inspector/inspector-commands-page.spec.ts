/**
 * The page's commands, in a real headless browser, from a server on a fake driver: read-only without a
 * token, a pause and a resume through the buttons once the token is typed, a wrong token refused on the
 * page, and the buttons gone when the moment shown is scrubbed back.
 */
import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Container } from 'inversify';
import type { Browser, Page } from 'puppeteer-core';
import {
  Controller,
  DeadLetterHeaders,
  EventPattern,
  KafkaServer,
  registerControllers,
  silentLogger,
} from '../../lib';
import { startInspector, type Inspector } from '../../lib/inspector';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { launchHeadlessBrowser } from './support/headless-browser';

const ARTIFACTS = join(__dirname, '..', '..', 'spec-artifacts');
const TOKEN = 'page-token-with-more-than-16-chars';

@Controller()
class LedgerController {
  @EventPattern('ledger.posted')
  post(): void {}
}

/** Each partition row of the source: partition, state and the command its button offers ('' for none). */
function partitionRows(page: Page): Promise<string[][]> {
  return page.$$eval('.source[data-source="ledger"] table.partitions tbody tr[data-partition]', (rows) =>
    rows.map((row) => [
      row.children[0].textContent ?? '',
      row.children[1].textContent ?? '',
      row.querySelector('button')?.getAttribute('data-command') ?? '',
    ]),
  );
}

describe('the inspector page’s commands (headless browser, fake driver)', function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  let driver: FakeKafkaDriver;
  let server: KafkaServer;
  let inspector: Inspector | undefined;
  let page: Page;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchHeadlessBrowser();
    driver = new FakeKafkaDriver();
    driver.capabilities = { joinsAfterConsume: true, pausesPartitions: true };
    const container = new Container();
    registerControllers(container, [LedgerController]);
    server = new KafkaServer(container, { driver, logger: silentLogger });
    await server.listen();
    // Two partitions, given in reverse: the page lists them sorted.
    driver.consumer.rebalance({ 'ledger.posted': [1, 0] });
    inspector = await startInspector({
      sources: [{ name: 'ledger', source: server }],
      commands: { token: TOKEN },
      logger: silentLogger,
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 900 });
    await page.goto(inspector.url);
    await page.waitForFunction(
      'document.querySelectorAll(".source[data-source=\\"ledger\\"] tr[data-partition]").length === 2',
      { timeout: 15_000 },
    );
  });

  after(async () => {
    await inspector?.close();
    await server?.close();
    await browser?.close();
  });

  it('offers no command until a token is typed: the page only shows', async () => {
    expect(await partitionRows(page)).to.deep.equal([
      ['ledger.posted/0', 'idle', ''],
      ['ledger.posted/1', 'idle', ''],
    ]);
    expect(await page.evaluate('document.getElementById("commands").hidden')).to.equal(false);
  });

  it('pauses a partition with its button once the token is typed, and resumes it', async () => {
    await page.type('#token', TOKEN);
    expect(await partitionRows(page)).to.deep.equal([
      ['ledger.posted/0', 'idle', 'pause'],
      ['ledger.posted/1', 'idle', 'pause'],
    ]);
    await clickNow(page, 'tr[data-partition="partition:ledger.posted/1"] button');
    await page.waitForFunction(
      'document.querySelector("tr[data-partition=\\"partition:ledger.posted/1\\"] .pstate")?.textContent === "paused"',
      { timeout: 15_000 },
    );
    // The status line is written when the POST's answer comes back, which may be after the event stream
    // has shown the new state.
    await page.waitForFunction('document.getElementById("command-status")?.textContent !== ""', {
      timeout: 15_000,
    });
    expect(await page.$eval('#command-status', (node) => node.textContent)).to.equal(
      'pause ledger.posted/1: taken',
    );
    expect(await partitionRows(page)).to.deep.equal([
      ['ledger.posted/0', 'idle', 'pause'],
      ['ledger.posted/1', 'paused', 'resume'],
    ]);
    expect(
      server.connection.partitions.find((view) => view.context.partition === 1)?.context.pausedBy,
    ).to.equal('inspector page');
    const log = await page.$$eval('#log tbody tr', (rows) => rows.map((row) => row.textContent ?? ''));
    expect(log.some((row) => row.includes('operator.pause'))).to.equal(true);
    // The ownership timeline marks the pause on the partition's lane, in the owner's name.
    await page.waitForFunction(
      'document.querySelector("#timeline-chart rect[data-cause=\\"paused\\"][data-lane$=\\"ledger.posted/1\\"]") !== null',
      { timeout: 15_000 },
    );
    const lanes = await page.$$eval('#timeline-chart rect[data-lane]', (rects) => [
      ...new Set(rects.map((rect) => rect.getAttribute('data-lane'))),
    ]);
    expect(lanes.map((lane) => lane?.split('|')[1])).to.deep.equal(['ledger.posted/0', 'ledger.posted/1']);
    expect(
      await page.$eval('#timeline-chart rect[data-cause="paused"]', (rect) =>
        rect.getAttribute('data-owner'),
      ),
    ).to.match(/ · ledger$/);
    await page.screenshot({ path: join(ARTIFACTS, 'inspector-commands.png'), fullPage: true });

    await clickNow(page, 'tr[data-partition="partition:ledger.posted/1"] button');
    await page.waitForFunction(
      'document.querySelector("tr[data-partition=\\"partition:ledger.posted/1\\"] .pstate")?.textContent === "idle"',
      { timeout: 15_000 },
    );
    expect(driver.consumer.pauses).to.deep.equal(['pause ledger.posted/1', 'resume ledger.posted/1']);
  });

  it('shows the refusal of a wrong token on the page, and changes nothing', async () => {
    await page.evaluate('document.getElementById("token").value = ""');
    await page.type('#token', 'a-wrong-token-of-enough-length');
    await clickNow(page, 'tr[data-partition="partition:ledger.posted/0"] button');
    await page.waitForFunction(
      'document.querySelector("#command-status").getAttribute("data-refusal") === "unauthorized"',
      {
        timeout: 15_000,
      },
    );
    expect(server.connection.partitions.map((view) => view.state)).to.deep.equal(['idle', 'idle']);
  });

  it('offers no command on a moment scrubbed back, and says the page is not live', async () => {
    // The newest entry, but as a moment looked at rather than followed.
    await page.evaluate(`window.__inspector.scrubTo(${inspector!.history.total - 1})`);
    expect((await partitionRows(page)).map((row) => row[2])).to.deep.equal(['', '']);
    expect(await page.$eval('#link', (node) => node.textContent)).to.equal('scrubbed back');
    await page.evaluate('window.__inspector.goLive()');
    expect(await page.$eval('#link', (node) => node.textContent)).to.equal('live');
  });
  it('drains the source with its button, and logs the command', async () => {
    await page.evaluate('document.getElementById("token").value = ""');
    await page.type('#token', TOKEN);
    await clickNow(page, '.source[data-source="ledger"] .source-commands button[data-command="drain"]');
    await page.waitForFunction(
      'document.querySelector(".source[data-source=\\"ledger\\"] .state").textContent === "stopped"',
      { timeout: 15_000 },
    );
    expect(server.connection.state).to.equal('stopped');
    const commands = await page.$$eval('#log tbody tr.command', (rows) =>
      rows.map((row) => row.textContent ?? ''),
    );
    expect(
      commands.some((row) => row.includes('command drain') && row.includes('by inspector page')),
    ).to.equal(true);
    expect(
      await page.$$eval('.source[data-source="ledger"] .source-commands button', (buttons) => buttons.length),
      'no drain or stop for a stopped source',
    ).to.equal(0);
  });
});

describe('the inspector page’s skip of a stuck record (headless browser, fake driver)', function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  let driver: FakeKafkaDriver;
  let server: KafkaServer;
  let inspector: Inspector | undefined;
  let page: Page;
  let release: () => void = () => undefined;
  let batch: Promise<void>;

  @Controller()
  class StuckLedgerController {
    @EventPattern('ledger.stuck', { deadLetter: true })
    async post(): Promise<void> {
      await new Promise<void>((resolve) => (release = resolve));
    }
  }

  const stuckLines = (): Promise<Array<[string, string]>> =>
    page.$$eval('#stuck li', (lines) =>
      lines.map((line): [string, string] => [
        line.getAttribute('data-reason') ?? '',
        line.querySelector('button')?.getAttribute('data-command') ?? '',
      ]),
    );

  before(async () => {
    browser = await launchHeadlessBrowser();
    driver = new FakeKafkaDriver();
    const container = new Container();
    registerControllers(container, [StuckLedgerController]);
    server = new KafkaServer(container, { driver, logger: silentLogger });
    await server.listen();
    inspector = await startInspector({
      sources: [{ name: 'ledger', source: server }],
      commands: { token: TOKEN },
      // Every partition with a record in flight is explained at once: the spec need not wait 30 s.
      health: { explainStuckAfterMs: 0 },
      logger: silentLogger,
    });
    batch = driver.consumer.deliver('ledger.stuck', 0, [{ value: '{"n":1}', key: 'acct-42' }]);
    batch.catch(() => undefined);
    page = await browser.newPage();
    await page.goto(inspector.url);
    await page.waitForFunction('document.querySelectorAll("#stuck li").length === 1', { timeout: 15_000 });
  });

  after(async () => {
    release();
    await inspector?.close();
    await server?.close({ mode: 'abandon' });
    await browser?.close();
  });

  it('offers no skip until a token is typed', async () => {
    expect(await stuckLines()).to.deep.equal([['handler-running', '']]);
  });

  it('skips the record the line names with its button, and the line goes', async () => {
    await page.type('#token', TOKEN);
    expect(await stuckLines()).to.deep.equal([['handler-running', 'skip']]);
    await clickNow(page, '#stuck li button');
    await page.waitForFunction(
      'document.querySelector("#command-status").textContent === "skip ledger.stuck/0 offset 0: taken"',
      { timeout: 15_000 },
    );
    await batch;
    const [letter] = driver.producer.records.filter(({ topic }) => topic === 'ledger.stuck.dlt');
    expect(String(letter?.record.headers?.[DeadLetterHeaders.SKIPPED_BY])).to.equal('inspector page');
    expect(driver.consumer.committed.get('ledger.stuck/0')).to.equal('1');
    await page.waitForFunction('document.querySelectorAll("#stuck li").length === 0', { timeout: 15_000 });
  });
});

/**
 * Clicks the element `selector` finds, found and clicked in one task of the page: the page re-renders its
 * tables as events arrive, and a button found by one call and clicked by the next can be gone by then.
 */
async function clickNow(page: Page, selector: string): Promise<void> {
  await page.$eval(selector, (element) => (element as unknown as { click(): void }).click());
}

/**
 * The page's Handlers and Keys tables, in a real headless browser, from a server on a fake driver whose
 * handler hangs on one key while the next record waits; then the time travel shows them as they stood.
 */
import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Container } from 'inversify';
import type { Browser, Page } from 'puppeteer-core';
import { Controller, EventPattern, KafkaServer, registerControllers, silentLogger } from '../../lib';
import { startInspector, type Inspector } from '../../lib/inspector';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { launchHeadlessBrowser } from './support/headless-browser';

const ARTIFACTS = join(__dirname, '..', '..', 'spec-artifacts');

function keyRows(page: Page): Promise<Array<string | null>[]> {
  return page.$$eval('#keys tbody tr[data-key]', (rows) =>
    // The "for" column (how long) is left out: it grows with the clock.
    rows.map((row) => [
      row.getAttribute('data-key'),
      ...[...row.children].filter((_, index) => index !== 5).map((cell) => cell.textContent),
    ]),
  );
}

/** True when the element `selector` finds is still the one in the page after a render. */
function keptOverRender(page: Page, selector: string): Promise<boolean> {
  return page.$eval(selector, (element) => {
    const inspector = (globalThis as unknown as { __inspector: { render(): void } }).__inspector;
    inspector.render();
    return element.isConnected;
  });
}

describe('the inspector page’s handler and key views (headless browser, fake driver)', function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  let release: () => void = () => undefined;
  let hangs = 1;

  @Controller()
  class SlowController {
    @EventPattern('page.slow')
    async post(): Promise<void> {
      // Only the first record hangs: the second waits behind it, then runs at once.
      if (hangs-- > 0) await new Promise<void>((resolve) => (release = resolve));
    }
  }

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchHeadlessBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  it('shows the key running, the one waiting behind it, then the handler’s runs; scrubbed back, as they stood', async () => {
    const driver = new FakeKafkaDriver();
    const container = new Container();
    registerControllers(container, [SlowController]);
    const server = new KafkaServer(container, { driver, logger: silentLogger });
    await server.listen();
    let inspector: Inspector | undefined;
    try {
      inspector = await startInspector({ sources: [server] });
      const page = await browser!.newPage();
      await page.setViewport({ width: 1440, height: 900 });
      await page.goto(inspector.url);
      const delivered = driver.consumer.deliver(
        'page.slow',
        0,
        [
          { key: '<b>k-1</b>', value: '{}' },
          { key: 'k-2', value: '{}' },
        ],
        3,
      );
      await page.waitForFunction('document.querySelectorAll("#keys tr[data-key]").length === 2', {
        timeout: 15_000,
      });
      // The key is shown as text, never as markup.
      expect(await keyRows(page)).to.deep.equal([
        ['running:page.slow/0:3', 'page.slow/0', 'running', '<b>k-1</b>', '3', '1', 'SlowController.post'],
        ['waiting:page.slow/0:4', 'page.slow/0', 'waiting', 'k-2', '4', '1', ''],
      ]);
      await page.screenshot({ path: join(ARTIFACTS, 'inspector-handler-views.png'), fullPage: true });
      const waitingAt = inspector.history.total - 1;
      // A render keeps the rows and writes into them: a click aimed at a row finds it.
      expect(await keptOverRender(page, '#keys tr[data-key="running:page.slow/0:3"]')).to.equal(true);

      release();
      await delivered;
      await page.waitForFunction(
        'document.querySelector("#handlers tr[data-handler]")?.children[1].textContent === "2"',
        { timeout: 15_000 },
      );
      expect(await keyRows(page)).to.deep.equal([]);
      // Latencies to three significant digits (a run of 6.274956999997812 ms reads 6.27 ms).
      const latencies = await page.$eval('#handlers tr[data-handler]', (row) =>
        [...row.children].slice(5).map((cell) => cell.textContent),
      );
      expect(latencies).to.have.length(2);
      expect(await keptOverRender(page, '#handlers tr[data-handler]')).to.equal(true);
      for (const latency of latencies)
        expect(latency).to.match(/^(\d{1,3}|\d\.\d{1,2}|\d\d\.\d|0\.0*\d{1,3}|\d+) ms$/);

      await page.evaluate(`window.__inspector.scrubTo(${waitingAt})`);
      expect((await keyRows(page)).map((row) => row[0])).to.deep.equal([
        'running:page.slow/0:3',
        'waiting:page.slow/0:4',
      ]);
    } finally {
      release();
      await inspector?.close();
      await server.close();
    }
  });
});

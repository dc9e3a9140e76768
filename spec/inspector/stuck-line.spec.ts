/**
 * The page's "Stuck now" lines, in a real headless browser, from a server on a fake driver whose handler
 * hangs: the inspector's clock is set a minute ahead, so the hang is past the threshold at once.
 */
import { expect } from 'chai';
import { Container } from 'inversify';
import type { Browser } from 'puppeteer-core';
import { Controller, EventPattern, KafkaServer, registerControllers, silentLogger } from '../../lib';
import { startInspector, type Inspector } from '../../lib/inspector';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { launchHeadlessBrowser } from './support/headless-browser';

describe('the inspector page’s stuck lines (headless browser, fake driver)', function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  let release: () => void = () => undefined;

  @Controller()
  class HangingController {
    @EventPattern('page.hang')
    async hang(): Promise<void> {
      await new Promise<void>((resolve) => (release = resolve));
    }
  }

  before(async () => {
    browser = await launchHeadlessBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  it('shows one line per stuck partition, naming the handler, offset and key, and none once it moved', async () => {
    const driver = new FakeKafkaDriver();
    const container = new Container();
    registerControllers(container, [HangingController]);
    const server = new KafkaServer(container, { driver, logger: silentLogger });
    await server.listen();
    let inspector: Inspector | undefined;
    try {
      inspector = await startInspector({ sources: [server], health: { now: () => Date.now() + 60_500 } });
      const page = await browser!.newPage();
      await page.goto(inspector.url);
      expect(
        await page.$eval('#stuck', (section) => (section as unknown as { hidden: boolean }).hidden),
      ).to.equal(true);
      void driver.consumer.deliver('page.hang', 0, [{ key: '<b>k-1</b>', value: '{}' }], 3);
      await new Promise((resolve) => setImmediate(resolve));
      // The page polls every few seconds; asking now keeps the spec short.
      await page.evaluate('window.__inspector.pollStuck()');
      await page.waitForFunction('document.querySelectorAll("#stuck li").length === 1', { timeout: 15_000 });
      const [line] = await page.$$eval('#stuck li', (items) =>
        items.map((item) => ({ text: item.textContent, reason: item.getAttribute('data-reason') })),
      );
      expect(line.reason).to.equal('handler-running');
      // The key is shown as text, never as markup. The handler's time is counted on the inspector's own
      // clock, from when it started: whole seconds since then, however long the page took to poll.
      expect(line.text).to.match(
        /^server page\.hang\/0 has not committed past its start for 6\d s: HangingController\.hang \(page\.hang\) has been running on offset 3, key "<b>k-1<\/b>" for \d+ s$/,
      );
      expect(await page.$$('#stuck b')).to.have.length(0);
      release();
      await new Promise((resolve) => setImmediate(resolve));
      await page.evaluate('window.__inspector.pollStuck()');
      await page.waitForFunction('document.getElementById("stuck").hidden === true', { timeout: 15_000 });
    } finally {
      release();
      await inspector?.close();
      await server.close({ mode: 'abandon' });
    }
  });

  it('names the held record’s trace id on its line and in its data-trace-id attribute', async () => {
    const driver = new FakeKafkaDriver();
    const container = new Container();
    registerControllers(container, [HangingController]);
    const server = new KafkaServer(container, { driver, logger: silentLogger });
    await server.listen();
    let inspector: Inspector | undefined;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    try {
      inspector = await startInspector({ sources: [server], health: { now: () => Date.now() + 60_500 } });
      const page = await browser!.newPage();
      await page.goto(inspector.url);
      const traceparent = Buffer.from(`00-${traceId}-00f067aa0ba902b7-01`);
      void driver.consumer.deliver(
        'page.hang',
        0,
        [{ key: 'k-2', value: '{}', headers: { traceparent } }],
        8,
      );
      await new Promise((resolve) => setImmediate(resolve));
      await page.evaluate('window.__inspector.pollStuck()');
      await page.waitForFunction('document.querySelectorAll("#stuck li").length === 1', { timeout: 15_000 });
      const [line] = await page.$$eval('#stuck li', (items) =>
        items.map((item) => ({ text: item.textContent, traceId: item.getAttribute('data-trace-id') })),
      );
      expect(line.traceId).to.equal(traceId);
      expect(line.text).to.include(`running on offset 8, key "k-2", trace ${traceId} for`);
    } finally {
      release();
      await inspector?.close();
      await server.close({ mode: 'abandon' });
    }
  });
});

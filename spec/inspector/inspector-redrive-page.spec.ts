/**
 * A re-drive started through `POST /commands`, seen in a real headless browser: its start and its outcome
 * are rows of the page's log, and no panel is drawn for them (a server on a fake driver, whose dead-letter
 * topic is empty).
 */
import { expect } from 'chai';
import { Container } from 'inversify';
import type { Browser, Page } from 'puppeteer-core';
import { Controller, EventPattern, KafkaServer, registerControllers, silentLogger } from '../../lib';
import { startInspector, type Inspector } from '../../lib/inspector';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { launchHeadlessBrowser } from './support/headless-browser';

const TOKEN = 'page-token-with-more-than-16-chars';

@Controller()
class LedgerController {
  @EventPattern('ledger.posted', { deadLetter: true })
  post(): void {}
}

describe('the inspector page’s log of a re-drive (headless browser, fake driver)', function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  let server: KafkaServer;
  let inspector: Inspector | undefined;
  let page: Page;

  before(async () => {
    browser = await launchHeadlessBrowser();
    const driver = new FakeKafkaDriver();
    const container = new Container();
    registerControllers(container, [LedgerController]);
    server = new KafkaServer(container, { driver, logger: silentLogger });
    await server.listen();
    inspector = await startInspector({
      sources: [{ name: 'ledger', source: server }],
      commands: { token: TOKEN },
      logger: silentLogger,
    });
    page = await browser.newPage();
    await page.goto(inspector.url);
    await page.waitForFunction(
      'document.querySelectorAll(".source[data-source=\\"ledger\\"]").length === 1',
      {
        timeout: 15_000,
      },
    );
  });

  after(async () => {
    await inspector?.close();
    await server?.close();
    await browser?.close();
  });

  it('shows the re-drive’s start and outcome as rows of the log', async () => {
    const response = await fetch(new URL('commands', inspector!.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ id: 'page-1', type: 'redrive', topic: 'ledger.posted.dlt', by: 'alice' }),
    });
    expect(response.status).to.equal(202);
    await page.waitForFunction('document.querySelectorAll("#log tbody tr.redrive").length === 2', {
      timeout: 15_000,
    });
    const rows = await page.$$eval('#log tbody tr.redrive', (found) =>
      found.map((row) => [...row.children].slice(1).map((cell) => cell.textContent ?? '')),
    );
    expect(rows).to.deep.equal([
      ['inspector', 'ledger.posted.dlt: re-drive done', 'redrive by alice', '0 re-driven, 0 skipped'],
      ['inspector', 'ledger.posted.dlt: re-drive started', 'redrive by alice', ''],
    ]);
    expect(
      await page.$$eval('.source', (panels) => panels.map((panel) => panel.getAttribute('data-source'))),
    ).to.deep.equal(['ledger']);
  });
});

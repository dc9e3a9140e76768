/**
 * The inspector page at a fleet's size, as a person looks at it on a 1440×900 screen: nine servers and a
 * client against the broker, one inspector. The connection machine is drawn once with a numbered marker
 * per source, each source's last edge a red arrow, its labels legible at 100 %; the processes stand side
 * by side; at 900 px the log moves below the charts and nothing runs off the page. With
 * RXKAFKA_DOC_SCREENSHOTS=1 it writes the README's screenshots to docs/ (else to spec-artifacts/).
 */
import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
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
import {
  publishInspection,
  startInspector,
  type InspectionPublisher,
  type Inspector,
} from '../../lib/inspector';
import { useTestBroker } from '../support/global-broker';
import { createTopics, produceRecords, uniqueName } from '../support/kafka-fixtures';
import { launchHeadlessBrowser } from './support/headless-browser';

const ROOT = join(__dirname, '..', '..');
const SCREENSHOTS = process.env.RXKAFKA_DOC_SCREENSHOTS ? join(ROOT, 'docs') : join(ROOT, 'spec-artifacts');
const SERVERS_IN_GROUP = 8;
/** Where the log stands: beside the fleet's chart, below it, and whether it is inside the window's width. */
const LOG_PLACE = `(() => {
  const log = document.querySelector('aside').getBoundingClientRect();
  const chart = document.getElementById('fleet-chart').getBoundingClientRect();
  return { beside: log.left >= chart.right, below: log.top >= chart.bottom, inside: log.left >= 0 && log.right <= window.innerWidth };
})()`;

async function waitForPage(page: Page, check: string, what: string, timeoutMs = 120_000): Promise<void> {
  try {
    await page.waitForFunction(check, { timeout: timeoutMs, polling: 500 });
  } catch (error) {
    const shown = await page.$$eval('#fleet-chart .marker-legend li', (items) =>
      items.map((item) => item.textContent),
    );
    throw new Error(
      `the page never showed ${what} (its sources: ${JSON.stringify(shown)}): ${String(error)}`,
    );
  }
}

describe('the fleet chart on the inspector page (integration)', function () {
  this.timeout(400_000);
  const closing: Array<() => Promise<unknown>> = [];
  let browser: Browser | undefined;
  let release: () => void = () => undefined;

  after(async () => {
    release();
    for (const close of closing.reverse()) await close().catch(() => undefined);
    await browser?.close();
  });

  it('draws the machine once with a marker per source, legible at 100 %, and fits 900 px', async () => {
    const { brokers } = await useTestBroker();
    const orders = uniqueName('fleet-orders');
    const ledger = uniqueName('fleet-ledger');
    const inspection = uniqueName('fleet-chart-inspection');
    await createTopics([
      { topic: orders, numPartitions: 12 },
      { topic: `${orders}.reply`, numPartitions: 1 },
      { topic: ledger, numPartitions: 2 },
      { topic: inspection, numPartitions: 3 },
    ]);
    const ordersGroup = uniqueName('fleet-orders-group');

    @Controller()
    class OrdersController {
      @MessagePattern(orders)
      price(@Payload() order: { items: number }): { total: number } {
        return { total: order.items * 3 };
      }
    }
    @Controller()
    class LedgerController {
      // A posting that never finishes while the spec runs: the page's "Stuck now".
      @EventPattern(ledger)
      async post(): Promise<void> {
        await new Promise<void>((resolve) => (release = resolve));
      }
    }
    const createServer = (
      controller: Parameters<typeof registerControllers>[1][number],
      clientId: string,
      groupId: string,
    ): KafkaServer => {
      const container = new Container();
      registerControllers(container, [controller]);
      const server = new KafkaServer(container, {
        client: { brokers: [...brokers], clientId },
        consumer: { groupId },
        logger: silentLogger,
      });
      closing.push(() => server.close({ mode: 'abandon' }));
      return server;
    };
    const publish = async (member: string, source: KafkaServer | KafkaClient): Promise<void> => {
      const publisher: InspectionPublisher = await publishInspection({
        sources: [{ name: source instanceof KafkaClient ? 'client' : 'server', source }],
        topic: inspection,
        client: { brokers: [...brokers] },
        member,
      });
      closing.push(() => publisher.close());
    };

    // server-1 posts the ledger and hosts the inspector; servers 2 to 9 share the orders. Each is inspected
    // from before it connects, as a deployment would: the page sees every edge it takes.
    const ledgerServer = createServer(LedgerController, 'server-1', uniqueName('fleet-ledger-group'));
    const inspector: Inspector = await startInspector({
      member: 'server-1',
      sources: [{ name: 'server', source: ledgerServer }],
      fleet: { topic: inspection, client: { brokers: [...brokers] } },
      title: 'orders and ledger',
      // Every partition with a record in flight is explained at once: the spec need not wait 30 s.
      health: { explainStuckAfterMs: 0 },
      logger: silentLogger,
    });
    closing.push(() => inspector.close());
    await ledgerServer.listen();
    const startOrdersServer = async (member: string): Promise<void> => {
      const server = createServer(OrdersController, member, ordersGroup);
      await publish(member, server);
      await server.listen();
    };
    await Promise.all(
      Array.from({ length: SERVERS_IN_GROUP - 1 }, (_, index) => startOrdersServer(`server-${index + 2}`)),
    );
    // The last one joins a running group: the others rebalance, edges the page draws as their last.
    await startOrdersServer(`server-${SERVERS_IN_GROUP + 1}`);
    const client = new KafkaClient({
      client: { brokers: [...brokers], clientId: 'client' },
      logger: silentLogger,
    });
    closing.push(() => client.close());
    client.subscribeToResponseOf(orders);
    await publish('client', client);
    await client.connect();
    for (let items = 1; items <= 5; items++) {
      expect(await firstValueFrom(client.send(orders, { items }))).to.deep.equal({ total: items * 3 });
    }
    await produceRecords(ledger, [{ key: 'acct-42', value: JSON.stringify({ amount: 12 }) }]);

    browser = await launchHeadlessBrowser();
    const page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 900 });
    await page.goto(inspector.url);
    await waitForPage(
      page,
      `document.querySelectorAll('#fleet-chart g.marker').length === 10 && ` +
        `[...document.querySelectorAll('#fleet-chart .marker-legend .state')].every((s) => s.textContent === 'assigned')`,
      'ten sources, every one assigned',
    );
    await waitForPage(page, `document.querySelectorAll('#stuck li').length === 1`, 'the stuck posting');
    await waitForPage(
      page,
      `[...document.querySelectorAll('#member-client tr[data-partition] td:nth-child(4)')].some((cell) => cell.textContent !== '')`,
      'the client’s finished replies',
    );

    // One chart for the one machine definition, a marker per source numbered 1 to 10.
    expect(await page.$$eval('#fleet-chart svg', (svgs) => svgs.length)).to.equal(1);
    const numbers = await page.$$eval('#fleet-chart g.marker', (markers) =>
      markers.map((marker) => Number(marker.getAttribute('data-marker'))).sort((a, b) => a - b),
    );
    expect(numbers).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(
      await page.$$eval('#fleet-chart g.node.current', (nodes) => nodes.map((node) => node.id)),
    ).to.deep.equal(['state:assigned']);

    // Every source's last edge is an arrow drawn red and thick, not only a label.
    const arrows = (await page.evaluate(
      `[...document.querySelectorAll('#fleet-chart g.edge.last path')].map((path) => [getComputedStyle(path).stroke, getComputedStyle(path).strokeWidth])`,
    )) as string[][];
    expect(arrows).to.have.length.above(0);
    for (const arrow of arrows) expect(arrow).to.deep.equal(['rgb(214, 69, 69)', '3.5px']);

    // State labels as drawn on the screen: at least 12 px at 100 % zoom.
    const labelPx = await page.$$eval('#fleet-chart g.node text, #fleet-chart g.cluster text', (texts) =>
      texts.map((text) => text.getBoundingClientRect().height),
    );
    expect(labelPx).to.have.length.above(10);
    expect(Math.min(...labelPx)).to.be.at.least(12);

    // The client's reply partition shows the offset its replies finished at.
    const finished = await page.$$eval('#member-client tr[data-partition] td:nth-child(4)', (cells) =>
      cells.map((cell) => cell.textContent),
    );
    expect(finished.filter((offset) => offset !== '')).to.have.length.above(0);

    // A source's own chart on demand: its name in the legend unfolds it, its state highlighted.
    expect(
      await page.$eval('#member-client details.full-chart', (details) => details.hasAttribute('open')),
    ).to.equal(false);
    await page.evaluate(
      `[...document.querySelectorAll('#fleet-chart .marker-legend button.who')].find((who) => who.textContent === 'client · client').click()`,
    );
    expect(
      await page.$eval('#member-client details.full-chart', (details) => details.hasAttribute('open')),
    ).to.equal(true);
    expect(
      await page.$$eval('#member-client .chart .current', (nodes) => nodes.map((node) => node.id)),
    ).to.deep.equal(['state:assigned']);

    // The processes side by side: more than one member card on the first row.
    const tops = await page.$$eval('.member', (cards) =>
      cards.map((card) => card.getBoundingClientRect().top),
    );
    expect(tops.filter((top) => top === tops[0]).length).to.be.above(1);
    // At 1440 px the log stands beside the charts (seen from the page's top: the log's column scrolls with it).
    await page.evaluate('window.scrollTo(0, 0)');
    expect(await page.evaluate(LOG_PLACE)).to.deep.equal({ beside: true, below: false, inside: true });

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(SCREENSHOTS, 'inspector-stuck.png') });
    await page.evaluate(`document.getElementById('fleet-chart').scrollIntoView({ block: 'start' })`);
    await page.screenshot({ path: join(SCREENSHOTS, 'inspector-fleet.png') });
    await page.evaluate(`document.getElementById('ownership').scrollIntoView({ block: 'start' })`);
    await page.screenshot({ path: join(SCREENSHOTS, 'inspector-timeline.png') });

    // At 900 px: nothing wider than the window, and the log below the charts, on the page.
    await page.setViewport({ width: 900, height: 900 });
    // What sticks out past the window, if anything: the page scrolls sideways otherwise.
    const outside = await page.evaluate(
      `[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 900 && e.closest('.chart, .chart-scroll') === null).map((e) => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)`,
    );
    expect(outside).to.deep.equal([]);
    expect(await page.evaluate('document.documentElement.scrollWidth')).to.equal(900);
    expect(await page.evaluate(LOG_PLACE)).to.deep.equal({ beside: false, below: true, inside: true });
  });
});

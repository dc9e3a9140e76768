/**
 * rxkafka with the inspector attached, as an operator watching it live would run it: `startInspector()`
 * on the worker's server or client, and the inspector's page open in a headless Chromium for the whole
 * run, so the page's event stream and its polls (`/healthz` every 5 s) run while the records flow. Each
 * worker process has its own inspector and its own page: in (d) the server's and the client's.
 */
import type { Browser, Page } from 'puppeteer-core';
import { createStreamLogger } from '../../lib';
import { startInspector } from '../../lib/inspector';
import { launchHeadlessBrowser } from '../../spec/inspector/support/headless-browser';
import type { Implementation } from './implementation';
import { createRxkafkaImplementation, type Watcher, type WatchSource } from './rxkafka';

/** How long the page may take to load and get the live stream's first message. */
const PAGE_READY_TIMEOUT_MS = 60_000;

/** How long the page is left after its first draw of a source, for the browser's layout and paint to end. */
const FIRST_DRAW_SETTLE_MS = 1_000;

/** `rxkafkaImplementation`, each server and client inspected with the page open. */
export function inspectedRxkafka(): Implementation {
  return createRxkafkaImplementation({ watch: inspectWithPageOpen });
}

const inspectWithPageOpen: WatchSource = async (source) => {
  const inspector = await startInspector({
    sources: [source],
    logger: createStreamLogger('error'),
  });
  let browser: Browser | undefined;
  let page: Page;
  try {
    browser = await launchHeadlessBrowser();
    page = await browser.newPage();
    await openLivePage(page, inspector.url);
  } catch (error) {
    await browser?.close();
    await inspector.close();
    throw error;
  }
  const opened = browser;
  return {
    settled: () => waitForFirstDraw(page),
    close: async () => {
      await opened.close();
      await inspector.close();
    },
  } satisfies Watcher;
};

/**
 * Waits until the page has drawn the connected source (its marker on the fleet chart) and painted it, then
 * one more second. A page's first draw of a source (its statecharts) costs its browser about 2 s of CPU on
 * these cores, once; an operator's page open for hours pays it once too, so it belongs with the set-up,
 * not in a window of a few seconds.
 */
async function waitForFirstDraw(page: Page): Promise<void> {
  await page.waitForFunction(`document.querySelector('#fleet-chart g.marker') !== null`, {
    timeout: PAGE_READY_TIMEOUT_MS,
    polling: 'mutation',
  });
  await page.evaluate(
    `new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, ${FIRST_DRAW_SETTLE_MS}))))`,
  );
}

/** Opens the page and waits until its live stream said hello (the badge reads "live"). */
async function openLivePage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(`document.querySelector('#link.badge.up') !== null`, {
    timeout: PAGE_READY_TIMEOUT_MS,
    polling: 'mutation',
  });
}

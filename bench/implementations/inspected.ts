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
import type { Closable, Implementation } from './implementation';
import { createRxkafkaImplementation, type WatchSource } from './rxkafka';

/** How long the page may take to load and get the live stream's first message. */
const PAGE_READY_TIMEOUT_MS = 60_000;

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
  try {
    browser = await launchHeadlessBrowser();
    await openLivePage(await browser.newPage(), inspector.url);
  } catch (error) {
    await browser?.close();
    await inspector.close();
    throw error;
  }
  const opened = browser;
  return {
    close: async () => {
      await opened.close();
      await inspector.close();
    },
  } satisfies Closable;
};

/** Opens the page and waits until its live stream said hello (the badge reads "live"). */
async function openLivePage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(`document.querySelector('#link.badge.up') !== null`, {
    timeout: PAGE_READY_TIMEOUT_MS,
    polling: 'mutation',
  });
}

/**
 * A headless Chromium for specs that look at a page, installed by `npm ci` alone: `@sparticuz/chromium`
 * ships the browser inside the npm package. A Chromium already on the machine (CHROME_PATH) is used
 * instead when set.
 */
import puppeteer, { type Browser } from 'puppeteer-core';

export async function launchHeadlessBrowser(): Promise<Browser> {
  const fromEnvironment = process.env.CHROME_PATH;
  if (fromEnvironment)
    return puppeteer.launch({ executablePath: fromEnvironment, headless: true, args: ['--no-sandbox'] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('@sparticuz/chromium') as { default?: SparticuzChromium } & SparticuzChromium;
  const chromium = loaded.default ?? loaded;
  return puppeteer.launch({
    executablePath: await chromium.executablePath(),
    args: chromium.args,
    headless: true,
  });
}

interface SparticuzChromium {
  executablePath(): Promise<string>;
  readonly args: string[];
}

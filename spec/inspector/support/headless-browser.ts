/**
 * A headless Chromium for specs that look at a page, installed by `npm ci` alone: `@sparticuz/chromium`
 * ships the browser inside the npm package. A Chromium already on the machine (CHROME_PATH) is used
 * instead when set.
 *
 * Both run with `--disable-gpu`: without a GPU, Chromium's default is to emulate one in software
 * (SwiftShader) and composite every frame through it. On these 2-core machines that emulation cost an open
 * inspector page, redrawn once a second, 1.4 to 3.8 s of CPU in 15 s; software compositing, which draws
 * the same pixels, cost 0.35 s. A page watched for a benchmark or a spec must not take the cores from
 * what it watches for a cost no operator's browser (drawing on its own GPU, on its own machine) pays.
 */
import puppeteer, { type Browser } from 'puppeteer-core';

const NO_GPU = '--disable-gpu';

export async function launchHeadlessBrowser(): Promise<Browser> {
  const fromEnvironment = process.env.CHROME_PATH;
  if (fromEnvironment)
    return puppeteer.launch({
      executablePath: fromEnvironment,
      headless: true,
      args: ['--no-sandbox', NO_GPU],
    });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('@sparticuz/chromium') as { default?: SparticuzChromium } & SparticuzChromium;
  const chromium = loaded.default ?? loaded;
  return puppeteer.launch({
    executablePath: await chromium.executablePath(),
    args: [...chromium.args, NO_GPU],
    headless: true,
  });
}

interface SparticuzChromium {
  executablePath(): Promise<string>;
  readonly args: string[];
}

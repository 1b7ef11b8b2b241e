/** Debian's headless Chromium (driven by playwright-core) on the sandbox page, for the browser tests. */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

export const skipWithoutChromium = existsSync(CHROMIUM)
  ? false
  : `needs ${CHROMIUM} (apt-get install -y chromium)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** A new tab on the sandbox page, once its gateway connection is live. */
export async function openSandboxPage(browser: Browser, pageUrl: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  await page
    .getByTestId('live-status')
    .filter({ hasText: /^live$/ })
    .waitFor();
  return page;
}

/**
 * The browser tests' setup: the real bot behind the fake Discord, its sandbox page open in headless Chromium.
 * Call inside a `describe`; the bot and the browser start before its tests and close after them.
 */
import { after, before } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { attachSandboxPage } from '../../src/sandbox/index.ts';
import { startBotHarness, type BotHarness } from './bot-harness.ts';
import { launchChromium, openSandboxPage } from './chromium.ts';

export interface BotInBrowser {
  harness: BotHarness;
  page: Page;
}

/** Returns an accessor that is valid inside the describe block's tests. */
export function useBotInBrowser(env: Record<string, string> = {}): () => BotInBrowser {
  let harness: BotHarness | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  before(async () => {
    harness = await startBotHarness(env);
    const { pageUrl } = attachSandboxPage(harness.fake);
    browser = await launchChromium();
    page = await openSandboxPage(browser, pageUrl);
  });
  after(async () => {
    await browser?.close();
    await harness?.close();
  });
  return () => {
    if (!harness || !page) throw new Error("the bot and its page start in the describe block's before hook");
    return { harness, page };
  };
}

/** Uploads a photo through the page's composer and sends it; returns the bot's newest message. */
export async function sendPhoto(
  page: Page,
  file: { name: string; mimeType: string; buffer: Buffer },
): Promise<Locator> {
  await page.getByTestId('file-input').setInputFiles(file);
  await page.getByTestId('send-button').click();
  return page.locator('[data-testid="message"][data-author="bot"]').last();
}

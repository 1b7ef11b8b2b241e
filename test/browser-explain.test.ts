/**
 * The "why?" heatmap on the sandbox page (issue 12 §2), in Debian's headless Chromium with the real bot behind
 * the fake Discord: upload a dog photo, press 🔍 Why? under the reply, and the heatmap shows up as an image with
 * its alt text as caption.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { attachSandboxPage } from '../src/sandbox/index.ts';
import { startBotHarness, type BotHarness } from './helpers/bot-harness.ts';
import { launchChromium, openSandboxPage, skipWithoutChromium } from './helpers/chromium.ts';
import { imagewoofValDir, skipWithoutPhotos } from './helpers/shared-data.ts';

const skip = skipWithoutPhotos || skipWithoutChromium;
const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10651.jpg');

describe('the heatmap on the sandbox page', { skip }, () => {
  let h: BotHarness;
  let browser: Browser;
  let page: Page;

  before(async () => {
    h = await startBotHarness();
    const { pageUrl } = attachSandboxPage(h.fake);
    browser = await launchChromium();
    page = await openSandboxPage(browser, pageUrl);
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  test('🔍 Why? under a classified photo shows the heatmap with its alt text', async () => {
    await page.getByTestId('file-input').setInputFiles({
      name: 'beagle.jpg',
      mimeType: 'image/jpeg',
      buffer: readFileSync(BEAGLE),
    });
    await page.getByTestId('send-button').click();
    const reply = page.locator('[data-testid="message"][data-author="bot"]').last();
    await reply.getByTestId('embed-title').waitFor({ timeout: 60_000 });
    const why = reply.getByTestId('component-button').filter({ hasText: '🔍 Why?' });
    await why.click();

    const image = page.locator('[data-testid="attachment-image"][alt^="Heatmap of what made me say Beagle"]');
    await image.waitFor({ timeout: 120_000 });
    const size = await image.evaluate(async (img: HTMLImageElement) => {
      await img.decode();
      return { width: img.naturalWidth, height: img.naturalHeight };
    });
    assert.ok(size.width > 100 && size.height > 100, JSON.stringify(size));
    const caption = page.getByTestId('attachment-alt').filter({ hasText: /most heat in the/ });
    await caption.first().waitFor();
  });
});

/**
 * Several dogs on the sandbox page (issue 12 §1 and §6), in Debian's headless Chromium with the real bot
 * (DETECTOR=on) behind the fake Discord: upload a beagle and a golden retriever side by side, and the reply
 * shows one block per dog and the photo with numbered boxes, its alt text as caption.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { attachSandboxPage } from '../src/sandbox/index.ts';
import { startBotHarness, type BotHarness } from './helpers/bot-harness.ts';
import { launchChromium, openSandboxPage, skipWithoutChromium } from './helpers/chromium.ts';
import { sideBySide, skipWithoutDetector } from './helpers/detector-data.ts';
import { imagewoofValDir, skipWithoutPhotos } from './helpers/shared-data.ts';

const skip = skipWithoutPhotos || skipWithoutDetector || skipWithoutChromium;
const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10971.jpg');
const GOLDEN = path.join(imagewoofValDir, 'n02099601', 'n02099601_10122.jpg');

describe('several dogs on the sandbox page', { skip }, () => {
  let h: BotHarness;
  let browser: Browser;
  let page: Page;

  before(async () => {
    h = await startBotHarness({ DETECTOR: 'on' });
    const { pageUrl } = attachSandboxPage(h.fake);
    browser = await launchChromium();
    page = await openSandboxPage(browser, pageUrl);
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  test('a two-dog photo gets a block per dog and the boxes picture with its alt text', async () => {
    const { png } = await sideBySide([BEAGLE, GOLDEN]);
    await page
      .getByTestId('file-input')
      .setInputFiles({ name: 'two-dogs.png', mimeType: 'image/png', buffer: png });
    await page.getByTestId('send-button').click();
    const reply = page.locator('[data-testid="message"][data-author="bot"]').last();
    await reply.getByTestId('embed-title').first().waitFor({ timeout: 60_000 });
    assert.deepEqual(await reply.getByTestId('embed-title').allTextContents(), [
      'Dog 1, left: Beagle',
      'Dog 2, right: Golden Retriever',
    ]);

    const image = reply.locator('[data-testid="attachment-image"][alt^="The photo with 2 dogs boxed"]');
    await image.waitFor({ timeout: 60_000 });
    const size = await image.evaluate(async (img: HTMLImageElement) => {
      await img.decode();
      return { width: img.naturalWidth, height: img.naturalHeight };
    });
    assert.ok(size.width > 300 && size.height > 100, JSON.stringify(size));
    await reply
      .getByTestId('attachment-alt')
      .filter({ hasText: '1 (left): Beagle; 2 (right): Golden Retriever' })
      .first()
      .waitFor();
  });
});

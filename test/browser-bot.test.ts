/**
 * A person's view: Debian's Chromium (playwright-core, headless) on the sandbox page, with the real bot
 * (real model on ../shared, SQLite) behind the fake Discord. Upload a dog photo → the top-5 appears; click 2️⃣.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { skipWithoutChromium } from './helpers/chromium.ts';
import { sendPhoto, useBotInBrowser } from './helpers/sandbox-browser.ts';
import { imagewoofValDir, skipWithoutPhotos } from './helpers/shared-data.ts';

const skip = skipWithoutPhotos || skipWithoutChromium;
const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10651.jpg');

describe('the sandbox page with the real bot', { skip }, () => {
  const bot = useBotInBrowser();

  test('uploading a dog photo shows the top-5 with confidence bars and the six reactions', async () => {
    const { page } = bot();
    const reply = await sendPhoto(page, {
      name: 'beagle.jpg',
      mimeType: 'image/jpeg',
      buffer: readFileSync(BEAGLE),
    });
    await reply.getByTestId('embed-title').waitFor({ timeout: 60_000 });
    assert.match((await reply.getByTestId('embed-title').textContent()) ?? '', /Beagle/);
    const description = (await reply.getByTestId('embed-description').textContent()) ?? '';
    assert.equal(description.match(/\d+%/g)?.length, 5, description);
    assert.match(description, /█/);
    await reply.locator('[data-emoji="❌"] [data-testid="reaction-count"]').waitFor();

    await reply.locator('[data-emoji="1️⃣"]').click();
    await reply
      .getByTestId('embed-field')
      .filter({ hasText: /1 person says/ })
      .waitFor();
  });

  test('❌ sends its help as a DM, shown in the page\'s "Direct messages" list, not in the channel', async () => {
    const { page } = bot();
    const reply = page.locator('[data-testid="message"][data-author="bot"]').last();
    const messagesBefore = await page.getByTestId('message').count();
    await reply.locator('[data-emoji="❌"]').click();
    const dm = page.getByTestId('dm').filter({ hasText: '/label breed:' });
    await dm.waitFor();
    assert.equal(await dm.count(), 1);
    const replyId = (await reply.getAttribute('data-message-id'))!;
    assert.match(
      (await dm.getByTestId('message-link').getAttribute('href')) ?? '',
      new RegExp(`/${replyId}$`),
    );
    assert.equal(await page.getByTestId('message').count(), messagesBefore, 'no message in the channel');
  });
});

/**
 * Several dogs on the sandbox page (issue 12 §1 and §6), in Debian's headless Chromium with the real bot
 * (DETECTOR=on) behind the fake Discord: upload a beagle and a golden retriever side by side, and the reply
 * first shows the whole-photo answer, then, edited in place once the detector has answered, one block per dog
 * and the photo with numbered boxes, its alt text as caption.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { skipWithoutChromium } from './helpers/chromium.ts';
import { sendPhoto, useBotInBrowser } from './helpers/sandbox-browser.ts';
import { sideBySide, skipWithoutDetector } from './helpers/detector-data.ts';
import { imagewoofValDir, skipWithoutPhotos } from './helpers/shared-data.ts';

const skip = skipWithoutPhotos || skipWithoutDetector || skipWithoutChromium;
const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10971.jpg');
const GOLDEN = path.join(imagewoofValDir, 'n02099601', 'n02099601_10122.jpg');

describe('several dogs on the sandbox page', { skip }, () => {
  const bot = useBotInBrowser({ DETECTOR: 'on' });

  test('a two-dog photo gets a block per dog and the boxes picture with its alt text', async () => {
    const { page } = bot();
    const { png } = await sideBySide([BEAGLE, GOLDEN]);
    const reply = await sendPhoto(page, { name: 'two-dogs.png', mimeType: 'image/png', buffer: png });
    await reply.getByTestId('embed-title').first().waitFor({ timeout: 60_000 });
    // The page shows the edit in the same reply: its second block appears.
    await reply.getByTestId('embed-title').nth(1).waitFor({ timeout: 60_000 });
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

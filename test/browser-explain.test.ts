/**
 * The "why?" heatmap on the sandbox page (issue 12 §2), in Debian's headless Chromium with the real bot behind
 * the fake Discord: upload a dog photo, press 🔍 Why? under the reply, and the heatmap shows up as an image with
 * its alt text as caption.
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

describe('the heatmap on the sandbox page', { skip }, () => {
  const bot = useBotInBrowser();

  test('🔍 Why? under a classified photo shows the heatmap with its alt text', async () => {
    const { page } = bot();
    const reply = await sendPhoto(page, {
      name: 'beagle.jpg',
      mimeType: 'image/jpeg',
      buffer: readFileSync(BEAGLE),
    });
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

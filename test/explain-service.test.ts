/**
 * `explainPrediction` on the application services (real model, sharp, SQLite): the heatmap of a stored photo,
 * refused for another server's photo, for a photo that is no longer stored, and once the person's classify
 * budget is spent (an explanation costs one classification).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createBreedbot, type BreedbotApp } from '../src/app/create.ts';
import { UserFacingError } from '../src/refusals.ts';
import { imagewoofValDir, skipWithoutPhotos } from './helpers/shared-data.ts';
import { tempDirConfig } from './helpers/temp-app.ts';

const BEAGLE = readFileSync(path.join(imagewoofValDir, 'n02088364', 'n02088364_10651.jpg'));
/** Posted by one person only, so /forget deletes it. */
const CAROLS_BEAGLE = readFileSync(path.join(imagewoofValDir, 'n02088364', 'n02088364_10971.jpg'));
const GUILD = '100000000000000001';
const OTHER_GUILD = '100000000000000002';
const CHANNEL = '200000000000000001';

const refusal = (code: string) => (e: unknown) => e instanceof UserFacingError && e.code === code;

describe('explaining a stored prediction', { skip: skipWithoutPhotos }, () => {
  let app: BreedbotApp;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-explain-'));
    app = await createBreedbot(tempDirConfig(dir, { RATE_CLASSIFY_PER_USER: '3' }));
  });
  after(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const classify = (messageId: string, userId: string, bytes = BEAGLE) =>
    app.classifyImageBytes(bytes, { guildId: GUILD, channelId: CHANNEL, messageId, userId });

  test('the heatmap of the top breed, as a PNG of the photo, with where the heat is', async () => {
    const c = await classify('300000000000000001', 'alice');
    const e = await app.explainPrediction(c.predictionId, { userId: 'alice', guildId: GUILD });
    assert.equal(e.breed, c.result.top5[0]!.breed);
    assert.ok(
      Math.abs(e.probability - c.result.top5[0]!.probability) < 1e-3,
      'the same model, the same photo',
    );
    assert.equal(e.images, 50);
    assert.ok(e.hottest && e.hottest.share > 0 && e.hottest.share <= 1);
    const meta = await sharp(e.png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', e.width, e.height]);
  });

  test("another server's photo is refused", async () => {
    const c = await classify('300000000000000002', 'bob');
    await assert.rejects(
      app.explainPrediction(c.predictionId, { userId: 'bob', guildId: OTHER_GUILD }),
      refusal('foreign-guild'),
    );
  });

  test('an unknown or forgotten photo is refused as no longer stored', async () => {
    await assert.rejects(
      app.explainPrediction('no-such-prediction', { userId: 'carol', guildId: GUILD }),
      refusal('not-found'),
    );
    const c = await classify('300000000000000003', 'carol', CAROLS_BEAGLE);
    await app.forgetUser('carol');
    await assert.rejects(
      app.explainPrediction(c.predictionId, { userId: 'carol', guildId: GUILD }),
      refusal('not-found'),
    );
  });

  test('an explanation spends one classification of the rate budget', async () => {
    const c = await classify('300000000000000004', 'dave'); // 1 of 3
    await app.explainPrediction(c.predictionId, { userId: 'dave', guildId: GUILD }); // 2
    await app.explainPrediction(c.predictionId, { userId: 'dave', guildId: GUILD }); // 3
    await assert.rejects(
      app.explainPrediction(c.predictionId, { userId: 'dave', guildId: GUILD }),
      refusal('rate-limited'),
    );
  });
});

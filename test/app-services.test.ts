/**
 * The application services without Discord: real model (../shared MobileNet), real sharp, real SQLite.
 * Refusals, idempotency and de-duplication as the adapters rely on them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBreedbot, type BreedbotApp } from '../src/app/create.ts';
import { UnknownBreedError, UserFacingError } from '../src/refusals.ts';
import { RateLimits } from '../src/app/rate-limits.ts';
import { imagewoofValDir, notDogsDir, skipWithoutPhotos } from './helpers/shared-data.ts';
import { tempDirConfig } from './helpers/temp-app.ts';

const BEAGLE = readFileSync(path.join(imagewoofValDir, 'n02088364', 'n02088364_10651.jpg'));
const CAT = readFileSync(path.join(notDogsDir, 'n02123045_tabby.jpg'));
const GUILD = '100000000000000001';
const OTHER_GUILD = '100000000000000002';
const CHANNEL = '200000000000000001';

const refusal = (code: string) => (e: unknown) =>
  e instanceof UserFacingError && e.code === code && e.userMessage.length > 0;

describe('application services', { skip: skipWithoutPhotos }, () => {
  let app: BreedbotApp;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-app-'));
    const config = tempDirConfig(dir);
    app = await createBreedbot(config);
  });
  after(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const source = (messageId: string, extra: object = {}) => ({
    guildId: GUILD,
    channelId: CHANNEL,
    messageId,
    userId: '300000000000000001',
    ...extra,
  });

  test('classifying stores the image once and the prediction once per source', async () => {
    const first = await app.classifyImageBytes(BEAGLE, source('400000000000000001'));
    assert.equal(first.replayed, false);
    assert.equal(first.result.top5[0]?.breed, 'Beagle');
    const replay = await app.classifyImageBytes(BEAGLE, source('400000000000000001'));
    assert.equal(replay.replayed, true);
    assert.equal(replay.predictionId, first.predictionId);
    const again = await app.classifyImageBytes(BEAGLE, source('400000000000000002'));
    assert.notEqual(again.predictionId, first.predictionId);
    assert.equal(again.imageId, first.imageId);
  });

  test('a not-a-dog photo says what it looks like', async () => {
    const c = await app.classifyImageBytes(CAT, source('400000000000000003'));
    assert.equal(c.result.isDog, false);
    assert.ok(c.result.lookslike && c.result.lookslike.probability > 0);
  });

  test('bad bytes are refused with a clear message and nothing is stored', async () => {
    const before = await app.store.counts();
    await assert.rejects(
      app.classifyImageBytes(new TextEncoder().encode('not an image'), source('400000000000000004')),
      refusal('image-rejected'),
    );
    await assert.rejects(
      app.classifyImageBytes(BEAGLE.subarray(0, 3000), source('400000000000000005')),
      refusal('image-rejected'),
    );
    assert.deepEqual(await app.store.counts(), before);
  });

  test('URLs: private addresses and over-long links are refused before any download', async () => {
    await assert.rejects(
      app.classifyUrl('http://10.0.0.1/dog.jpg', source('400000000000000006')),
      refusal('url-refused'),
    );
    await assert.rejects(
      app.classifyUrl('http://[::1]/dog.jpg', source('400000000000000007')),
      refusal('url-refused'),
    );
    await assert.rejects(
      app.classifyUrl(`https://example.com/${'a'.repeat(3000)}`, source('400000000000000008')),
      refusal('argument-too-long'),
    );
  });

  test('/label: the newest answered dog photo by default; a single typo match is taken; unknown breeds refused with five nearest; moderators may add one', async () => {
    const base = { guildId: GUILD, channelId: CHANNEL, userId: '300000000000000002', isModerator: false };
    // Without `message:`, /label looks at photos the bot answered (people saw the reply).
    const shown = await app.classifyImageBytes(BEAGLE, source('400000000000000010'));
    await app.recordReply([shown.predictionId], '400000000000000011');
    const ok = await app.labelByCommand({ ...base, breed: 'beagle' });
    assert.equal(ok.breed, 'Beagle');
    assert.equal(ok.changed, true);
    assert.deepEqual(ok.crowd, { breed: 'Beagle', votes: 1, voters: 1, byModerator: false });

    // a typo that matches exactly one breed is that breed, and says so
    const typo = await app.labelByCommand({ ...base, breed: 'Beagel' });
    assert.equal(typo.breed, 'Beagle');
    assert.equal(typo.readAs, 'Beagle');
    assert.equal(ok.readAs, undefined);
    await assert.rejects(app.labelByCommand({ ...base, breed: 'Beaglx Hund' }), (e: unknown) => {
      assert.ok(e instanceof UnknownBreedError);
      assert.equal(e.nearest.length, 5);
      assert.ok(e.nearest.includes('Beagle'), e.nearest.join());
      return true;
    });

    const mod = { ...base, userId: '300000000000000003', isModerator: true };
    const created = await app.labelByCommand({ ...mod, breed: 'Cavapoo' });
    assert.equal(created.createdBreed, true);
    assert.deepEqual(await app.autocompleteBreeds('cavap'), ['Cavapoo']);
    await assert.rejects(app.labelByCommand({ ...mod, breed: '@everyone' }), refusal('bad-argument'));
    await assert.rejects(
      app.labelByCommand({ ...base, breed: 'x'.repeat(101) }),
      refusal('argument-too-long'),
    );
  });

  test('/label refuses a message from another server and a channel with no photo', async () => {
    const c = await app.classifyImageBytes(BEAGLE, source('400000000000000009'));
    await assert.rejects(
      app.labelByCommand({
        guildId: OTHER_GUILD,
        channelId: '200000000000000009',
        userId: '300000000000000004',
        breed: 'Beagle',
        messageRef: { messageId: '400000000000000009' },
        isModerator: false,
      }),
      refusal('foreign-guild'),
    );
    assert.ok(c.imageId);
    await assert.rejects(
      app.labelByCommand({
        guildId: GUILD,
        channelId: '200000000000000099',
        userId: '3',
        breed: 'Beagle',
        isModerator: false,
      }),
      refusal('nothing-to-label'),
    );
  });

  test('autocomplete gives at most 25 names and tolerates typos', async () => {
    assert.equal((await app.autocompleteBreeds('')).length, 25);
    assert.equal((await app.autocompleteBreeds('beagel'))[0], 'Beagle');
    assert.ok((await app.autocompleteBreeds('x'.repeat(5000))).length <= 25);
  });

  test('model info names the active version and the backend', async () => {
    const info = await app.modelInfo();
    assert.equal(info.activeVersion, 'base-mobilenet_v1_0.75_224');
    assert.equal(info.backend, app.backend);
    assert.ok(info.breeds >= 118);
  });
});

test('rate limits refuse politely once the budget is spent', async () => {
  const limits = new RateLimits({
    classifyPerUser: 2,
    classifyPerGuild: 100,
    labelPerUser: 0,
    labelPerGuild: 0,
  });
  await limits.consume('classify', 'u', 'g');
  await limits.consume('classify', 'u', 'g');
  await assert.rejects(
    limits.consume('classify', 'u', 'g'),
    (e: unknown) =>
      e instanceof UserFacingError && e.code === 'rate-limited' && /try again in \d+ s/.test(e.userMessage),
  );
  await limits.consume('classify', 'someone-else', 'g');
  for (let i = 0; i < 50; i++) await limits.consume('label', 'u', 'g'); // 0 = no limit
});

describe('a full classify queue', { skip: skipWithoutPhotos }, () => {
  test('answers "busy" politely and keeps serving', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-busy-'));
    const config = tempDirConfig(dir, {
      BATCH_QUEUE_LIMIT: '1',
      BATCH_MAX: '1',
      RATE_CLASSIFY_PER_USER: '1000',
    });
    const app = await createBreedbot(config);
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          app.classifyImageBytes(BEAGLE, {
            guildId: GUILD,
            channelId: CHANNEL,
            messageId: String(500000000000000000n + BigInt(i)),
            userId: '300000000000000009',
          }),
        ),
      );
      const busy = outcomes.filter((o) => o.status === 'rejected' && refusal('busy')(o.reason));
      const served = outcomes.filter((o) => o.status === 'fulfilled');
      assert.ok(busy.length > 0, 'some requests found the queue full');
      assert.ok(served.length > 0, 'the others were served');
      assert.equal(busy.length + served.length, outcomes.length, 'no other kind of failure');
      const after = await app.classifyImageBytes(BEAGLE, {
        guildId: GUILD,
        channelId: CHANNEL,
        messageId: '599999999999999999',
        userId: '300000000000000009',
      });
      assert.equal(after.result.top5[0]?.breed, 'Beagle');
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

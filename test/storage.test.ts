/** The storage layer's behaviour, the same suite on SQLite and on a real PostgreSQL server. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Database } from '../src/storage/database.ts';
import {
  activateModelVersion,
  activeModelVersion,
  createBreed,
  crowdAnswer,
  embeddingFor,
  exportLabels,
  findBreed,
  findImage,
  forgetUser,
  getGuildSettings,
  imageFilePath,
  InvalidBreedNameError,
  labelsForImage,
  labelStats,
  latestPredictionInChannel,
  listModelVersions,
  mostDisputedImages,
  nearestBreeds,
  predictionForMessage,
  predictionsForMessage,
  predictionsForReply,
  purgeUserLabels,
  readImageBytes,
  recordModelVersion,
  recordPrediction,
  removeLabel,
  resolveLabels,
  searchBreeds,
  seedBreeds,
  setLabel,
  setModelVersionStatus,
  setReplyMessage,
  sha256Hex,
  storeImage,
  UnknownBreedError,
  updateGuildSettings,
  type NewPrediction,
} from '../src/storage/index.ts';
import { backends, SAMPLE_BREEDS, withDatabase } from './helpers/storage-backends.ts';

/** A real PNG, different for every seed. */
async function png(
  seed: number,
): Promise<{ bytes: Buffer; meta: { width: number; height: number; format: string } }> {
  const bytes = await sharp({
    create: {
      width: 8 + (seed % 5),
      height: 6,
      channels: 3,
      background: { r: seed % 256, g: (seed * 7) % 256, b: (seed * 13) % 256 },
    },
  })
    .png()
    .toBuffer();
  const info = await sharp(bytes).metadata();
  return { bytes, meta: { width: info.width!, height: info.height!, format: info.format! } };
}

async function imageId(db: Database, seed: number): Promise<string> {
  const { bytes, meta } = await png(seed);
  return (await storeImage(db, bytes, meta)).image.id;
}

const prediction = (imageId: string, over: Partial<NewPrediction> = {}): NewPrediction => ({
  imageId,
  guildId: 'g1',
  channelId: 'c1',
  messageId: `m-${imageId}`,
  userId: 'poster',
  modelVersion: 'imagenet-v1',
  backboneId: 'mobilenet_v1_0.75_224',
  isDog: true,
  dogProbability: 0.97,
  top5: [
    { breed: 'Beagle', probability: 0.6 },
    { breed: 'Basset', probability: 0.2 },
    { breed: 'Pug', probability: 0.1 },
    { breed: 'Border Collie', probability: 0.05 },
    { breed: 'Siberian Husky', probability: 0.05 },
  ],
  ...over,
});

const label = (
  imageId: string,
  userId: string,
  breedName: string,
  source: 'reaction' | 'command' | 'moderator' = 'reaction',
) => ({
  imageId,
  userId,
  breedName,
  source,
  modelVersion: 'imagenet-v1',
  guildId: 'g1',
});

for (const backend of backends) {
  describe(`storage on ${backend.name}`, { skip: backend.skip }, () => {
    test('images are stored once per content hash, bytes in a file', () =>
      withDatabase(backend, async (db) => {
        const { bytes, meta } = await png(1);
        const first = await storeImage(db, bytes, meta);
        assert.equal(first.created, true);
        assert.equal(first.image.sha256, sha256Hex(bytes));
        assert.deepEqual(
          [first.image.width, first.image.height, first.image.format, first.image.byteSize],
          [meta.width, meta.height, 'png', bytes.length],
        );
        const file = imageFilePath(db.imagesDir, first.image.sha256);
        assert.equal(path.basename(path.dirname(file)), first.image.sha256.slice(0, 2));
        assert.deepEqual(readFileSync(file), bytes);
        assert.deepEqual(await readImageBytes(db, first.image), bytes);

        const again = await storeImage(db, Buffer.from(bytes), meta);
        assert.equal(again.created, false);
        assert.equal(again.image.id, first.image.id);

        const other = await storeImage(db, (await png(2)).bytes, meta);
        assert.notEqual(other.image.id, first.image.id);
        await assert.rejects(
          storeImage(db, bytes, { ...meta, sha256: '0'.repeat(64) }),
          /hash does not match/,
        );

        // the same new photo arriving many times at once still makes one row
        const { bytes: burst } = await png(3);
        const results = await Promise.all(Array.from({ length: 20 }, () => storeImage(db, burst, meta)));
        assert.equal(new Set(results.map((r) => r.image.id)).size, 1);
        assert.equal(results.filter((r) => r.created).length, 1);
        assert.equal(await db.prisma.image.count(), 3);
      }));

    test('a prediction is recorded once per message/interaction and attachment; embeddings are kept', () =>
      withDatabase(backend, async (db) => {
        const img = await imageId(db, 10);
        const embedding = Float32Array.from({ length: 768 }, (_, i) => Math.sin(i) * 3.5);
        const first = await recordPrediction(db, prediction(img, { embedding, attachmentIndex: 0 }));
        assert.equal(first.created, true);
        assert.equal(first.prediction.topBreed, 'Beagle');
        assert.equal(first.prediction.top5.length, 5);
        assert.deepEqual(first.prediction.top5[1], { breed: 'Basset', probability: 0.2 });

        const replay = await recordPrediction(db, prediction(img, { embedding, attachmentIndex: 0 }));
        assert.equal(replay.created, false);
        assert.equal(replay.prediction.id, first.prediction.id);

        // a burst of replays of the same gateway event at once
        const burst = await Promise.all(
          Array.from({ length: 10 }, () =>
            recordPrediction(db, prediction(img, { messageId: 'm-burst', attachmentIndex: 0 })),
          ),
        );
        assert.equal(new Set(burst.map((b) => b.prediction.id)).size, 1);
        assert.equal(burst.filter((b) => b.created).length, 1);

        const second = await recordPrediction(db, prediction(img, { attachmentIndex: 1 }));
        assert.equal(second.created, true);
        const viaCommand = await recordPrediction(
          db,
          prediction(img, { messageId: null, interactionId: 'i-1', channelId: 'c2' }),
        );
        assert.equal(viaCommand.created, true);
        assert.equal(viaCommand.prediction.interactionId, 'i-1');
        assert.equal(await db.prisma.prediction.count(), 4);

        const stored = await embeddingFor(db, img, 'mobilenet_v1_0.75_224');
        assert.deepEqual(stored, embedding);
        assert.equal(await embeddingFor(db, img, 'another-backbone'), null);

        await setReplyMessage(db, [first.prediction.id, second.prediction.id], 'reply-1');
        assert.deepEqual(
          (await predictionsForReply(db, 'reply-1')).map((p) => p.attachmentIndex),
          [0, 1],
        );
        assert.equal((await predictionsForMessage(db, 'reply-1')).length, 2);
        assert.equal((await predictionsForMessage(db, `m-${img}`)).length, 2);
        assert.equal((await predictionForMessage(db, 'reply-1'))?.id, first.prediction.id);
        assert.equal(await predictionForMessage(db, 'no-such-message'), null);
        assert.equal((await latestPredictionInChannel(db, 'g1', 'c2'))?.id, viaCommand.prediction.id);
        assert.equal(await latestPredictionInChannel(db, 'g1', 'c9'), null);
      }));

    test('one label per person per image: set, replay, change, retract only the current breed', () =>
      withDatabase(backend, async (db) => {
        await seedBreeds(db, SAMPLE_BREEDS);
        const img = await imageId(db, 20);

        const created = await setLabel(db, label(img, 'alice', 'Beagle'));
        assert.equal(created.outcome, 'created');
        assert.equal(created.label.breed, 'Beagle');
        assert.equal(created.label.modelVersion, 'imagenet-v1');
        assert.equal((await setLabel(db, label(img, 'alice', 'beagle'))).outcome, 'unchanged');

        const changed = await setLabel(db, label(img, 'alice', 'husky')); // an alias
        assert.equal(changed.outcome, 'changed');
        assert.equal(changed.previousBreed, 'Beagle');
        assert.equal(changed.label.breed, 'Siberian Husky');
        assert.equal(changed.label.id, created.label.id);
        assert.equal(await db.prisma.label.count(), 1);

        // the reaction for Beagle is removed after alice already switched: her new label stays
        assert.equal(await removeLabel(db, img, 'alice', 'Beagle'), false);
        assert.equal((await labelsForImage(db, img))[0]?.breed, 'Siberian Husky');
        assert.equal(await removeLabel(db, img, 'alice', 'Siberian Husky'), true);
        assert.equal(await removeLabel(db, img, 'alice', 'Siberian Husky'), false);
        assert.deepEqual(await labelsForImage(db, img), []);

        await setLabel(db, label(img, 'bob', 'Pug'));
        assert.equal(await removeLabel(db, img, 'bob'), true);

        await assert.rejects(setLabel(db, label(img, 'carol', 'Beagel')), (error: unknown) => {
          assert.ok(error instanceof UnknownBreedError);
          assert.equal(error.nearest[0], 'Beagle');
          return true;
        });
      }));

    test('consensus: a moderator wins, ties stay unresolved, trust stops spammers, min votes', () =>
      withDatabase(backend, async (db) => {
        await seedBreeds(db, SAMPLE_BREEDS);
        const imgs = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => imageId(db, 100 + i)));
        const [a, b, c, d, e, f, g, h] = imgs as [
          string,
          string,
          string,
          string,
          string,
          string,
          string,
          string,
        ];

        // a moderator's label beats three people
        for (const u of ['u1', 'u2', 'u3']) await setLabel(db, label(a, u, 'Pug'));
        await setLabel(db, label(a, 'mod', 'Beagle', 'moderator'));
        assert.deepEqual(await crowdAnswer(db, a), {
          breed: 'Beagle',
          votes: 1,
          voters: 4,
          byModerator: true,
          weight: 1,
        });

        // two newcomers disagree: a tie, unresolved
        await setLabel(db, label(b, 'n1', 'Pug'));
        await setLabel(db, label(b, 'n2', 'Beagle'));
        assert.equal(await crowdAnswer(db, b), null);

        // u1..u3 agree on four images, s1 and s2 always contradict them: their trust sinks
        for (const [img, breed] of [
          [c, 'Border Collie'],
          [d, 'Golden Retriever'],
          [e, 'Basset'],
          [f, 'Siberian Husky'],
        ] as const) {
          for (const u of ['u1', 'u2', 'u3']) await setLabel(db, label(img, u, breed));
          for (const s of ['s1', 's2']) await setLabel(db, label(img, s, 'Pug'));
        }
        // two trusted people against two spammers: by head count a tie, by trust the agreed breed
        for (const u of ['u1', 'u2']) await setLabel(db, label(g, u, 'Beagle'));
        for (const s of ['s1', 's2']) await setLabel(db, label(g, s, 'Pug'));
        const answer = await crowdAnswer(db, g);
        assert.equal(answer?.breed, 'Beagle');
        assert.equal(answer?.votes, 2);
        assert.equal(answer?.voters, 4);
        // a known spammer alone cannot set a breed either
        await setLabel(db, label(h, 's1', 'Pug'));
        assert.equal(await crowdAnswer(db, h), null);

        const resolved = await resolveLabels(db);
        const byImage = new Map(resolved.map((r) => [r.imageId, r]));
        assert.equal(byImage.get(a)?.breed, 'Beagle');
        assert.equal(byImage.get(a)?.byModerator, true);
        assert.equal(byImage.has(b), false, 'tie excluded');
        assert.equal(byImage.get(c)?.breed, 'Border Collie');
        assert.equal(byImage.get(g)?.breed, 'Beagle');
        assert.equal(byImage.has(h), false);
        const sha = (await findImage(db, c))!.sha256;
        assert.equal(byImage.get(c)?.sha256, sha);
        const weight = byImage.get(c)!.weight;
        assert.ok(
          weight > 3 / 5 && weight < 1,
          `weight ${weight}: more than the head count share, the spammers weigh less`,
        );

        // minimum votes: with 5, only images five people labelled count (and moderators' always)
        const strict = await resolveLabels(db, { minVotes: 5 });
        assert.deepEqual(new Set(strict.map((r) => r.imageId)), new Set([a, c, d, e, f]));
      }));

    test('breeds: seeding, case-insensitive and alias search, typos, ≤ 25 results, new breeds', () =>
      withDatabase(backend, async (db) => {
        const many = [
          ...SAMPLE_BREEDS,
          ...Array.from({ length: 110 }, (_, i) => ({
            name: `Test Breed ${String(i).padStart(3, '0')}`,
            aliases: [],
          })),
        ];
        assert.equal(await seedBreeds(db, many), many.length);
        assert.equal(await seedBreeds(db, many), 0, 'seeding again adds nothing');

        assert.equal((await searchBreeds(db, '')).length, 25);
        assert.equal((await searchBreeds(db, 'test breed')).length, 25);
        assert.equal((await searchBreeds(db, 'test breed', 100)).length, 25);
        assert.equal((await searchBreeds(db, 'BEAG'))[0], 'Beagle');
        assert.equal((await searchBreeds(db, 'beagel'))[0], 'Beagle');
        assert.equal((await searchBreeds(db, 'alsatian'))[0], 'German Shepherd');
        assert.equal((await searchBreeds(db, 'shih tzu'))[0], 'Shih-Tzu');
        assert.deepEqual((await searchBreeds(db, 'retr')).slice(0, 2).sort(), [
          'Golden Retriever',
          'Labrador Retriever',
        ]);
        assert.ok((await searchBreeds(db, 'retreiver')).includes('Golden Retriever'));
        assert.deepEqual(await searchBreeds(db, 'zzzzqqq'), []);

        assert.equal((await findBreed(db, 'LAB'))?.name, 'Labrador Retriever');
        assert.equal((await findBreed(db, ' german  shepherd dog '))?.name, 'German Shepherd');
        assert.equal(await findBreed(db, 'Beagel'), null);
        const nearest = await nearestBreeds(db, 'Beagel', 5);
        assert.equal(nearest.length, 5);
        assert.equal(nearest[0], 'Beagle');

        const created = await createBreed(db, '  Kromfohrländer ', 'mod-1');
        assert.equal(created.created, true);
        assert.equal(created.breed.name, 'Kromfohrländer');
        assert.equal(created.breed.origin, 'user');
        assert.equal(created.breed.createdBy, 'mod-1');
        assert.equal((await createBreed(db, 'kromfohrländer', 'mod-2')).created, false);
        assert.equal((await searchBreeds(db, 'kromf'))[0], 'Kromfohrländer');
        for (const hostile of [
          '@everyone',
          '<@123>',
          '**bold**',
          'a',
          'x'.repeat(61),
          'https://evil.example',
        ]) {
          await assert.rejects(createBreed(db, hostile, 'mod-1'), InvalidBreedNameError, hostile);
        }
      }));

    test('model versions: history, statuses, exactly one active even when activations race', () =>
      withDatabase(backend, async (db) => {
        await recordModelVersion(db, {
          id: 'v1',
          path: 'models/v1',
          status: 'active',
          metrics: { top1: 0.7 },
        });
        await recordModelVersion(db, {
          id: 'v2',
          path: 'models/v2',
          parentId: 'v1',
          metrics: { top1: 0.72, ece: Number.NaN },
        });
        assert.equal((await activeModelVersion(db))?.id, 'v1');
        const v2 = (await listModelVersions(db)).find((v) => v.id === 'v2')!;
        assert.equal(v2.status, 'candidate');
        assert.equal(v2.parentId, 'v1');
        assert.deepEqual(v2.metrics, { top1: 0.72, ece: null });

        await activateModelVersion(db, 'v2', 'better holdout top-1');
        const statuses = Object.fromEntries((await listModelVersions(db)).map((v) => [v.id, v.status]));
        assert.deepEqual(statuses, { v1: 'retired', v2: 'active' });

        await recordModelVersion(db, { id: 'v3', path: 'models/v3', parentId: 'v2' });
        const rejected = await setModelVersionStatus(db, 'v3', 'rejected', 'holdout top-1 dropped 4 points');
        assert.equal(rejected.reason, 'holdout top-1 dropped 4 points');
        await assert.rejects(activateModelVersion(db, 'nope'), /not found/);

        for (const id of ['v4', 'v5', 'v6', 'v7']) await recordModelVersion(db, { id, path: `models/${id}` });
        await Promise.all(['v4', 'v5', 'v6', 'v7', 'v1'].map((id) => activateModelVersion(db, id)));
        assert.equal(await db.prisma.modelVersion.count({ where: { status: 'active' } }), 1);
      }));

    test('guild settings: defaults until changed, then stored', () =>
      withDatabase(backend, async (db) => {
        const defaults = await getGuildSettings(db, 'g1');
        assert.deepEqual(defaults.enabledChannelIds, []);
        assert.equal(defaults.autoClassify, true);
        assert.equal(defaults.stored, false);
        const updated = await updateGuildSettings(db, 'g1', {
          enabledChannelIds: ['c1', 'c2', 'c1'],
          moderatorRoleId: 'r1',
          autoClassify: false,
          rateLimits: { labelPerUserPerMin: 5 },
        });
        assert.deepEqual(updated.enabledChannelIds, ['c1', 'c2']);
        const read = await getGuildSettings(db, 'g1');
        assert.equal(read.stored, true);
        assert.equal(read.moderatorRoleId, 'r1');
        assert.equal(read.autoClassify, false);
        assert.equal(read.rateLimits.labelPerUserPerMin, 5);
        assert.equal(read.rateLimits.classifyPerUserPerMin, null);
        await updateGuildSettings(db, 'g1', { autoClassify: true });
        assert.equal((await getGuildSettings(db, 'g1')).moderatorRoleId, 'r1', 'a patch keeps other fields');
        await assert.rejects(
          updateGuildSettings(db, 'g1', { rateLimits: { labelPerGuildPerMin: -1 } }),
          /whole number/,
        );
      }));

    test('stats: labels per breed, top labellers, agreement, most-confused pairs', () =>
      withDatabase(backend, async (db) => {
        await seedBreeds(db, SAMPLE_BREEDS);
        const [x, y, z] = [await imageId(db, 300), await imageId(db, 301), await imageId(db, 302)];
        for (const img of [x, y, z]) await recordPrediction(db, prediction(img)); // the bot said Beagle to all
        await setLabel(db, label(x, 'u1', 'Pug'));
        await setLabel(db, label(x, 'u2', 'Pug'));
        await setLabel(db, label(y, 'u1', 'Pug'));
        await setLabel(db, label(z, 'u1', 'Beagle'));
        await setLabel(db, label(z, 'u3', 'Basset'));
        await setLabel(db, { ...label(z, 'other-guild-user', 'Pug'), guildId: 'g2' });

        const stats = await labelStats(db, 'g1');
        assert.equal(stats.labels, 5);
        assert.deepEqual(stats.labelsPerBreed, [
          { breed: 'Pug', count: 3 },
          { breed: 'Basset', count: 1 },
          { breed: 'Beagle', count: 1 },
        ]);
        assert.deepEqual(stats.topLabellers[0], { userId: 'u1', count: 3 });
        assert.equal(stats.agreementRate, 0.5, 'x agrees, z does not');
        assert.deepEqual(stats.mostConfused, [{ predicted: 'Beagle', labelled: 'Pug', count: 2 }]);
        assert.equal((await labelStats(db, null)).labels, 6);
        assert.equal(stats.agreementImages, 2, 'x and z have two labels each');
        // every mismatch is one of the confused pairs; the rest of the compared photos matched
        assert.ok(stats.botMatch.compared >= 2);
        assert.equal(stats.botMatch.matched, stats.botMatch.compared - 2);
        const empty = await labelStats(db, 'empty-guild');
        assert.equal(empty.agreementRate, null);
        assert.equal(empty.agreementImages, 0);
        assert.deepEqual(empty.botMatch, { matched: 0, compared: 0 });
      }));

    test('privacy: forget a person, purge a spammer, review disputes, export', () =>
      withDatabase(backend, async (db) => {
        await seedBreeds(db, SAMPLE_BREEDS);
        const onlyAlice = await imageId(db, 400);
        const shared = await imageId(db, 401);
        const bobs = await imageId(db, 402);
        await recordPrediction(db, prediction(onlyAlice, { userId: 'alice' }));
        await recordPrediction(db, prediction(shared, { userId: 'alice' }));
        await recordPrediction(db, prediction(bobs, { userId: 'bob' }));
        await setLabel(db, label(onlyAlice, 'alice', 'Beagle'));
        await setLabel(db, label(shared, 'alice', 'Beagle'));
        await setLabel(db, label(shared, 'bob', 'Pug'));
        await setLabel(db, label(bobs, 'alice', 'Pug'));
        await setLabel(db, label(bobs, 'bob', 'Pug'));
        await setLabel(db, label(bobs, 'spammer', 'Basset'));

        const disputed = await mostDisputedImages(db, 10);
        assert.deepEqual(
          disputed.map((d) => d.imageId),
          [shared, bobs],
        );
        assert.deepEqual(disputed[1]?.breeds, [
          { breed: 'Pug', votes: 2 },
          { breed: 'Basset', votes: 1 },
        ]);
        assert.equal(disputed[1]?.consensus, 'Pug');

        const outDir = mkdtempSync(path.join(tmpdir(), 'breedbot-export-'));
        try {
          const report = await exportLabels(db, outDir);
          assert.deepEqual([report.labels, report.images, report.missingFiles], [6, 3, 0]);
          const lines = readFileSync(path.join(outDir, 'labels.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l));
          assert.equal(lines.length, 6);
          const first = lines[0];
          assert.ok(existsSync(path.join(outDir, first.file)));
          const sha = (await findImage(db, first.imageId))!.sha256;
          assert.equal(first.file, `images/${sha}.png`);
          assert.deepEqual(
            readFileSync(path.join(outDir, first.file)),
            await readImageBytes(db, { sha256: sha }),
          );
          assert.ok(['breed', 'userId', 'source', 'modelVersion', 'createdAt'].every((k) => k in first));
          const consensus = readFileSync(path.join(outDir, 'consensus.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l));
          assert.ok(consensus.some((c) => c.imageId === bobs && c.breed === 'Pug'));
        } finally {
          rmSync(outDir, { recursive: true, force: true });
        }

        assert.deepEqual(await purgeUserLabels(db, 'spammer'), { deleted: 1 });

        const onlyAliceSha = (await findImage(db, onlyAlice))!.sha256;
        const forgot = await forgetUser(db, 'alice');
        assert.equal(forgot.labelsDeleted, 3);
        assert.equal(forgot.imagesDeleted, 1);
        assert.equal(forgot.imagesKept, 2, "the shared image and bob's image stay for bob");
        assert.equal(forgot.predictionsDeleted, 1);
        assert.equal(forgot.predictionsAnonymised, 1);
        assert.equal(await findImage(db, onlyAlice), null);
        assert.equal(existsSync(imageFilePath(db.imagesDir, onlyAliceSha)), false, 'file deleted');
        assert.ok(await findImage(db, shared));
        assert.equal(await db.prisma.label.count({ where: { userId: 'alice' } }), 0);
        assert.equal(await db.prisma.prediction.count({ where: { userId: 'alice' } }), 0);
        assert.equal(await db.prisma.label.count(), 2, "bob's labels stay");
      }));

    test('many labels at once: every one stored exactly once', () =>
      withDatabase(backend, async (db) => {
        await seedBreeds(db, SAMPLE_BREEDS);
        const images = await Promise.all(Array.from({ length: 5 }, (_, i) => imageId(db, 500 + i)));
        const breeds = SAMPLE_BREEDS.map((b) => b.name);
        // 250 people label 5 images at once; 50 of them send their label twice (a double click) and 50 change it
        const calls = Array.from({ length: 250 }, (_, i) => ({
          imageId: images[i % images.length]!,
          userId: `user-${i}`,
          breed: breeds[i % breeds.length]!,
        }));
        const burst = [
          ...calls.map((c) => setLabel(db, label(c.imageId, c.userId, c.breed))),
          ...calls.slice(0, 50).map((c) => setLabel(db, label(c.imageId, c.userId, c.breed))),
        ];
        const outcomes = await Promise.all(burst);
        assert.equal(outcomes.filter((o) => o.outcome === 'created').length, 250);
        await Promise.all(calls.slice(50, 100).map((c) => setLabel(db, label(c.imageId, c.userId, 'Pug'))));

        assert.equal(await db.prisma.label.count(), 250, 'none lost, none duplicated');
        const rows = await db.prisma.label.findMany({ include: { breed: true } });
        const byUser = new Map(rows.map((r) => [r.userId, r]));
        for (const [i, c] of calls.entries()) {
          const row = byUser.get(c.userId);
          assert.ok(row, `label of ${c.userId} stored`);
          assert.equal(row.imageId, c.imageId);
          assert.equal(row.breed.name, i >= 50 && i < 100 ? 'Pug' : c.breed);
        }
      }));
  });
}

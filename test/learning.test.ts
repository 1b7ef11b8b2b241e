/**
 * The learning loop at the service level: real model on ../shared's MobileNet (in-process, so tf.memory()
 * sees the backbone), real SQLite, real training worker. Covers the dataset read from the store (missing
 * embeddings recomputed from stored bytes), hot-swaps under concurrent classify load, the cron trigger and
 * its schedule registration, and the retrain CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { BreedbotApp } from '../src/app/create.ts';
import { projectRoot, type Config } from '../src/config.ts';
import { openDatabase } from '../src/storage/database.ts';
import { embeddingsFor } from '../src/storage/embeddings.ts';
import { listModelVersions } from '../src/storage/model-versions.ts';
import { datasetFromStore, scheduleRetraining, type Learning } from '../src/learning/index.ts';
import { progressBar } from '../src/learning/progress-text.ts';
import { sharedModelEnv, skipWithoutTrainPhotos, trainPhotos } from './helpers/shared-data.ts';
import {
  classifyPosted,
  labelWithCommand,
  saveRetiredVersion,
  startLearningApp,
  type LearningApp,
} from './helpers/learning-app.ts';
import { breedNameBySynset } from './helpers/temp-app.ts';

const skip = skipWithoutTrainPhotos;
const SYNSETS = ['n02086240', 'n02093754', 'n02111889'];
const photos = trainPhotos;

describe('the learning loop over the services', { skip }, () => {
  let rig: LearningApp;
  let config: Config;
  let app: BreedbotApp;
  let learning: Learning;
  let breedOf: Map<string, string>;
  let seq = 0;

  /** Posts a photo and, when `breed` is given, someone labels it (a reaction, or /label when not in the top 5). */
  async function classifyAndLabel(file: string, breed?: string, userId = 'u1') {
    const messageId = `m${++seq}`;
    const c = await classifyPosted(app, file, messageId);
    if (!breed) return c;
    const position = c.result.top5.findIndex((b) => b.breed === breed);
    if (position >= 0) {
      await app.recordReply([c.predictionId], `r${seq}`);
      await app.labelFromReaction({
        replyMessageId: `r${seq}`,
        position: position + 1,
        userId,
        guildId: 'g',
      });
    } else {
      await labelWithCommand(app, messageId, breed, { userId, isModerator: false });
    }
    return c;
  }

  before(async () => {
    rig = await startLearningApp('learning', {
      EMBED_ENGINE: 'inprocess',
      RETRAIN_MIN_NEW_LABELS: '12',
      RATE_CLASSIFY_PER_USER: '100000',
      RATE_CLASSIFY_PER_GUILD: '100000',
      RATE_LABEL_PER_USER: '100000',
      RATE_LABEL_PER_GUILD: '100000',
    });
    ({ app, config, learning } = rig);
    breedOf = breedNameBySynset(app);
  });
  after(async () => {
    await rig?.close();
  });

  test('the dataset: resolved labels with stored embeddings; missing ones are recomputed from the stored bytes', async () => {
    for (const synset of SYNSETS)
      for (const file of photos(synset, 0, 3)) await classifyAndLabel(file, breedOf.get(synset)!);
    // Two people disagree on one photo: a tie, left out. One unlabelled photo: a reference for the guard.
    const tie = await classifyAndLabel(photos(SYNSETS[0]!, 3, 4)[0]!, breedOf.get(SYNSETS[0]!)!, 'u2');
    await app.labelByCommand({
      guildId: 'g',
      channelId: 'c',
      userId: 'u3',
      breed: 'Beagle',
      messageRef: { messageId: `m${seq}` },
      isModerator: false,
    });
    const unlabelled = await classifyAndLabel(photos(SYNSETS[1]!, 3, 4)[0]!);

    const source = {
      db: app.db,
      backboneId: app.model.backboneId,
      embed: (inputs: Parameters<typeof app.model.runtime.classifier.embed>[0]) =>
        app.model.runtime.classifier.embed(inputs),
      imageSpec: app.model.runtime.imageSpec,
    };
    const first = await datasetFromStore(source);
    assert.equal(first.labels.length, 9);
    assert.equal(first.computed, 0);
    assert.ok(!first.labels.some((l) => l.imageId === tie.imageId), 'the tied photo is left out');
    assert.deepEqual(first.breeds, SYNSETS.map((s) => breedOf.get(s)!).sort());
    assert.equal(first.referenceEmbeddings.length, 2, 'the tied and the unlabelled photo are references');
    const stored = (await embeddingsFor(app.db, [unlabelled.imageId], app.model.backboneId)).get(
      unlabelled.imageId,
    )!;
    assert.ok(first.referenceEmbeddings.some((e) => e.every((v, i) => v === stored[i])));

    const dropped = first.labels.slice(0, 4).map((l) => l.imageId);
    const original = new Map(first.labels.map((l) => [l.imageId, l.embedding]));
    await app.db.prisma.embedding.deleteMany({ where: { imageId: { in: dropped } } });
    const second = await datasetFromStore(source);
    assert.equal(second.computed, 4);
    assert.equal(second.labels.length, 9);
    for (const id of dropped) {
      const again = second.labels.find((l) => l.imageId === id)!.embedding;
      const before = original.get(id)!;
      const maxDiff = Math.max(...again.map((v, i) => Math.abs(v - before[i]!)));
      assert.ok(maxDiff < 1e-3, `recomputed embedding of ${id} differs by ${maxDiff}`);
    }
    assert.equal((await embeddingsFor(app.db, dropped, app.model.backboneId)).size, 4, 'stored again');
  });

  test('the cron trigger trains only with RETRAIN_MIN_NEW_LABELS new labels; the schedule is registered', async () => {
    const few = await learning.runScheduled();
    assert.deepEqual(
      { ran: few.ran, newLabels: few.newLabels, minNewLabels: few.minNewLabels },
      { ran: false, newLabels: 11, minNewLabels: 12 },
    );
    assert.equal((await listModelVersions(app.db)).length, 0);

    for (const synset of SYNSETS)
      for (const file of photos(synset, 4, 9)) await classifyAndLabel(file, breedOf.get(synset)!);
    const enough = await learning.runScheduled();
    assert.equal(enough.ran, true);
    assert.ok(
      enough.result && ['promoted', 'rejected'].includes(enough.result.status),
      enough.result?.reason,
    );
    const versions = await listModelVersions(app.db);
    assert.equal(versions.length, 1);
    assert.equal((versions[0]!.metrics as { trigger: string }).trigger, 'schedule');

    // Those labels are used now: the next night has nothing new.
    const again = await learning.runScheduled();
    assert.deepEqual({ ran: again.ran, newLabels: again.newLabels }, { ran: false, newLabels: 0 });

    const schedule = scheduleRetraining(learning.loop, { cron: config.RETRAIN_CRON, minNewLabels: 12 });
    try {
      assert.equal(schedule.task.getPattern(), '0 3 * * *');
      const next = schedule.task.getNextRun()!;
      assert.deepEqual([next.getHours(), next.getMinutes()], [3, 0]);
      assert.ok(next.getTime() > Date.now() && next.getTime() <= Date.now() + 24 * 3600 * 1000);
    } finally {
      await schedule.stop();
    }
    assert.throws(
      () => scheduleRetraining(learning.loop, { cron: 'every night', minNewLabels: 1 }),
      /not a valid cron expression/,
    );
  });

  test('hot-swaps under concurrent classify load: no request fails, each answers from one whole model', async () => {
    const base = app.model.runtime.baseVersion;
    // A second version to swap to: the base head, strongly favouring Samoyed (easy to tell apart in results).
    const head = app.model.runtime.baseHead;
    const samoyed = head.breeds.indexOf(breedOf.get('n02111889')!);
    const bias = Float32Array.from(head.bias, (b, j) => (j === samoyed ? b + 50 : b));
    const saved = await saveRetiredVersion(app, config, { ...head, bias });
    await learning.loop.rollback(base, 'test');
    const tensorsBefore = tf.memory().numTensors;

    const files = SYNSETS.flatMap((s) => photos(s, 30, 50));
    let finished = 0;
    const classify = (file: string, i: number) =>
      app
        .classifyImageBytes(readFileSync(file), {
          guildId: 'g',
          channelId: 'load',
          messageId: `load-${i}`,
          userId: `p${i % 7}`,
        })
        .finally(() => finished++);
    // Waves of 10 requests; once half a wave has answered, swap while the other half is still in flight.
    const requests: ReturnType<typeof classify>[] = [];
    const swaps = (async () => {
      for (let wave = 0; wave * 10 < files.length; wave++) {
        files.slice(wave * 10, wave * 10 + 10).forEach((f, k) => requests.push(classify(f, wave * 10 + k)));
        while (finished < Math.min(files.length, wave * 10 + 5)) await new Promise((r) => setTimeout(r, 2));
        await learning.loop.rollback(wave % 2 === 0 ? saved.version : base, 'test');
      }
    })();
    await swaps;
    const settled = await Promise.allSettled(requests);
    const failed = settled.filter((s) => s.status === 'rejected');
    assert.deepEqual(failed, [], 'no request failed during the swaps');
    const results = settled
      .slice(0, files.length)
      .map((s) => (s as PromiseFulfilledResult<Awaited<(typeof requests)[number]>>).value);
    const versions = new Set(results.map((r) => r.result.modelVersion));
    assert.deepEqual(
      [...versions].sort(),
      [base, saved.version].sort(),
      'requests ran on both sides of the swaps',
    );
    for (const r of results) {
      // A whole model per request: the Samoyed-loving head says Samoyed, the base head mostly not.
      if (r.result.modelVersion === saved.version)
        assert.equal(r.result.top5[0]!.breed, breedOf.get('n02111889'));
    }
    assert.equal(app.model.activeVersion(), base);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'swapped-out models left no tensors behind');
  });

  test('npm run retrain: progress on stderr, the result as JSON on stdout', async () => {
    assert.match(
      progressBar({ fraction: 0.5, epoch: 7, epochs: 14, loss: 0.41, holdoutAccuracy: 0.88 }),
      /^▓{8}░{8} 50% epoch 7\/14, loss 0\.41, holdout 88%$/,
    );
    // The CLI is its own process on the same database (opened after this one let go of it).
    await learning.close();
    await app.close();
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/retrain.ts', '--json', '--by', 'ops'],
      {
        cwd: projectRoot,
        encoding: 'utf8',
        timeout: 300_000,
        env: {
          ...process.env,
          ...sharedModelEnv,
          DATABASE_URL: config.DATABASE_URL,
          DATA_DIR: config.dataDir,
          MODELS_DIR: config.modelsDir,
          EMBED_ENGINE: 'inprocess',
        },
      },
    );
    const result = JSON.parse(cli.stdout) as { status: string; version: string; labels: number };
    assert.ok(['promoted', 'rejected'].includes(result.status), cli.stderr);
    assert.equal(cli.status, result.status === 'promoted' ? 0 : 3);
    assert.equal(result.labels, 24);
    assert.match(cli.stderr, /▓+░* \d+%/);
    const db = await openDatabase(config.DATABASE_URL, { migrate: false });
    try {
      const record = (await listModelVersions(db)).find((v) => v.id === result.version)!;
      assert.equal((record.metrics as { requestedBy: string }).requestedBy, 'ops');
    } finally {
      await db.close();
    }
  });
});

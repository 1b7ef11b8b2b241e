/**
 * The second training stage through the learning loop: labels in SQLite → the training worker fine-tunes the
 * backbone's last block on the stored photos → the version is saved with its own backbone → promoted and
 * hot-swapped in, so new photos are embedded by the fine-tuned backbone → rollback frees it again.
 * The worker runs tfjs's cpu backend with requireGpu off (no GPU here); a real deployment runs it on a GPU backend.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BreedbotApp } from '../src/app/create.ts';
import { type Config } from '../src/config.ts';
import { embeddingsFor } from '../src/storage/embeddings.ts';
import { getModelVersion } from '../src/storage/model-versions.ts';
import type { Learning } from '../src/learning/index.ts';
import { fineTunedBackboneDir, parseBackboneId } from '../src/model/fine-tuned-backbone.ts';
import { skipWithoutTrainPhotos, trainPhotos } from './helpers/shared-data.ts';
import {
  classifyPosted,
  labelWithCommand,
  startLearningApp,
  type LearningApp,
} from './helpers/learning-app.ts';

const skip = skipWithoutTrainPhotos;
const photos = trainPhotos;

describe('the learning loop with the backbone fine-tuning stage', { skip }, () => {
  let rig: LearningApp;
  let config: Config;
  let app: BreedbotApp;
  let learning: Learning;
  let seq = 0;

  async function post(file: string) {
    const messageId = `m${++seq}`;
    await classifyPosted(app, file, messageId);
    return messageId;
  }
  async function postAndLabel(file: string, breed: string) {
    const messageId = await post(file);
    await labelWithCommand(app, messageId, breed, { userId: 'mod', isModerator: true });
  }

  before(async () => {
    rig = await startLearningApp(
      'finetune-loop',
      {
        EMBED_ENGINE: 'inprocess',
        FINE_TUNE_BACKBONE: 'on',
        RATE_CLASSIFY_PER_USER: '100000',
        RATE_LABEL_PER_USER: '100000',
      },
      {
        backend: 'cpu', // the only backend here with convolution gradients
        fineTune: {
          enabled: true,
          requireGpu: false,
          options: { blocks: 1, maxEpochs: 1, batchSize: 8, replayPerBatch: 4 },
          guardPhotos: 10,
        },
        // Few pseudo-examples: generating them is matrix work that the cpu backend does slowly.
        training: {
          policy: { minGuardImages: 4 },
          train: { maxEpochs: 5, pseudoExamplesPerBreed: 1 },
          guardPseudo: { perBreed: 1 },
        },
      },
    );
    ({ app, config, learning } = rig);
  });
  after(async () => {
    await rig?.close();
  });

  test('a retrain fine-tunes the backbone, promotes it with its own backbone, serves it and rolls back', async (t) => {
    for (const file of photos('n02086240', 0, 5)) await postAndLabel(file, 'Shih-Tzu');
    for (const file of photos('n02087394', 0, 5)) await postAndLabel(file, 'Rhodesian Ridgeback');
    for (const synset of ['n02088364', 'n02099601', 'n02111889'])
      for (const file of photos(synset, 0, 3)) await post(file);
    const baseBackbone = app.model.backboneId;

    const result = await learning.loop.retrain({ requestedBy: 'mod', reason: 'cli' });
    const report = result.metrics?.fineTune as Record<string, unknown> | undefined;
    assert.ok(report, 'the result reports the second stage');
    assert.equal(report.ran, true, String(report.reason));
    const used = report.photos as { train: number; holdout: number; references: number; undecodable: number };
    assert.equal(used.train + used.holdout, 10); // every labelled photo, split by hash
    assert.ok(used.holdout >= 2);
    // Stored photos nobody labelled with an embedding (a photo judged not a dog stores none), at most guardPhotos.
    const embedded = await app.db.prisma.embedding.count({ where: { backboneId: baseBackbone } });
    assert.equal(used.references, Math.min(10, embedded - 10));
    assert.equal(used.undecodable, 0);
    t.diagnostic(`second stage: ${JSON.stringify(report)}`);
    assert.equal(report.epochsRun, 1);
    assert.equal(report.kept, true, String(report.reason));
    assert.equal(result.status, 'promoted', result.reason);
    assert.match(result.reason ?? '', /backbone's last 1 blocks fine-tuned/);

    const version = result.version!;
    const record = await getModelVersion(app.db, version);
    assert.equal(record?.backboneId, `${baseBackbone}+ft-${version}`);
    assert.deepEqual(parseBackboneId(record!.backboneId!), { baseId: baseBackbone, version });
    assert.ok(existsSync(path.join(fineTunedBackboneDir(config.modelsDir, version), 'model.json')));

    // The next photo is embedded by the fine-tuned backbone, and its embedding is stored under that id.
    assert.equal(app.model.activeVersion(), version);
    assert.equal(app.model.backboneId, record!.backboneId);
    const file = photos('n02086240', 5, 6)[0]!;
    const c = await app.classifyImageBytes(readFileSync(file), {
      guildId: 'g',
      channelId: 'c',
      messageId: 'after-swap',
      userId: 'poster',
    });
    assert.equal(c.result.modelVersion, version);
    const stored = await embeddingsFor(app.db, [c.imageId], record!.backboneId!);
    assert.equal(stored.size, 1);

    await learning.loop.rollback('base', 'mod');
    assert.equal(app.model.backboneId, baseBackbone);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { after, before, describe, test } from 'node:test';
import { createBreedbot, type BreedbotApp } from '../src/app/create.ts';
import { startHttpApi } from '../src/http/server.ts';
import type { ClassifyOutput } from '../src/cli/classify.ts';
import { sideBySide, skipWithoutDetector } from './helpers/detector-data.ts';
import { ortMissing } from './helpers/onnx-rig.ts';
import { runCli } from './helpers/run-cli.ts';
import { imagewoofValDir, skipWithoutPhotos } from './helpers/shared-data.ts';
import { tempDirConfig } from './helpers/temp-app.ts';

// Photos the classifier names right whole; their crops are named right too (test/detector.test.ts).
const beagle = path.join(imagewoofValDir, 'n02088364', 'n02088364_10971.jpg');
const golden = path.join(imagewoofValDir, 'n02099601', 'n02099601_10122.jpg');
const API_KEY = 'detector-test-key-0123456789';

describe(
  'DETECTOR=on: each dog of a photo with several is named',
  { skip: skipWithoutPhotos || skipWithoutDetector },
  () => {
    let dir: string;
    let app: BreedbotApp;
    let twoDogs: Buffer;
    let tiles: Awaited<ReturnType<typeof sideBySide>>['tiles'];
    let config: ReturnType<typeof tempDirConfig>;
    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-dogs-'));
      ({ png: twoDogs, tiles } = await sideBySide([beagle, golden]));
      config = tempDirConfig(dir, { DETECTOR: 'on', HTTP_API_PORT: '0', HTTP_API_KEY: API_KEY });
      app = await createBreedbot(config);
    });
    after(async () => {
      await app?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    const source = (messageId: string) => ({
      guildId: '100000000000000001',
      channelId: '200000000000000001',
      messageId,
      userId: '300000000000000001',
    });

    test('the model info names what runs the detector (DETECTOR_ENGINE=auto: its trunk on ONNX Runtime)', async () => {
      const info = await app.modelInfo();
      // Without onnxruntime-node, auto runs the whole graph in tfjs.
      assert.equal(info.detector, ortMissing ? 'tfjs' : 'onnxruntime-node + tfjs');
    });

    test('the whole-photo answer comes first; the dogs follow, left to right, each crop stored', async () => {
      const c = await app.classifyImageBytes(twoDogs, source('400000000000000001'));
      assert.equal(c.replayed, false);
      assert.equal(c.result.isDog, true);
      // The first stage does not wait for the detector: no dogs yet, only the promise of them.
      assert.equal(c.dogs, undefined);
      assert.ok(c.dogsLater, 'the detector is on: the dogs follow');
      const later = await c.dogsLater;
      assert.deepEqual(
        later?.dogs.map((d) => [d.number, d.position, d.view.top5[0]?.breed]),
        [
          [1, 'left', 'Beagle'],
          [2, 'right', 'Golden Retriever'],
        ],
      );
      later!.dogs.forEach(({ detected, region, imageId }, i) => {
        const centre = detected!.x + detected!.width / 2;
        assert.ok(
          centre > tiles[i]!.x && centre < tiles[i]!.x + tiles[i]!.width,
          `dog ${i + 1}: ${JSON.stringify(detected)}`,
        );
        assert.ok(region.width >= detected!.width, 'the crop region is the box plus a margin');
        assert.notEqual(imageId, c.imageId);
      });
      const meta = await sharp(later!.picture.png).metadata();
      assert.equal(meta.format, 'png');
    });

    test('a replay (same message, after a restart on the same SQLite file) answers with the stored dogs and the same boxes picture', async () => {
      const first = await app.classifyImageBytes(twoDogs, source('400000000000000003'));
      const live = await first.dogsLater;
      assert.ok(live);
      // A restart: a new process on the same database and image files.
      await app.close();
      app = await createBreedbot(config);
      const before = await app.store.counts();
      const replay = await app.classifyImageBytes(twoDogs, source('400000000000000003'));
      assert.equal(replay.replayed, true);
      assert.equal(replay.predictionId, first.predictionId);
      assert.equal(replay.dogsLater, undefined, 'no detector run for a replay');
      assert.deepEqual(
        replay.dogs?.dogs.map((d) => [d.number, d.position, d.predictionId, d.imageId, d.region, d.view]),
        live.dogs.map((d) => [d.number, d.position, d.predictionId, d.imageId, d.region, d.view]),
      );
      assert.ok(
        Buffer.from(replay.dogs!.picture.png).equals(Buffer.from(live.picture.png)),
        'the same picture',
      );
      assert.deepEqual(await app.store.counts(), before, 'nothing new stored');
    });

    test('one dog: the whole-photo answer alone, as with the detector off; the second stage finds none', async () => {
      const c = await app.classifyImageBytes(await readFile(beagle), source('400000000000000002'));
      assert.equal(c.result.top5[0]?.breed, 'Beagle');
      assert.equal(c.dogs, undefined);
      assert.equal(await c.dogsLater, null);
      const replay = await app.classifyImageBytes(await readFile(beagle), source('400000000000000002'));
      assert.equal(replay.dogs, undefined);
    });

    test('classify --json includes dogs for the two-dog picture and leaves them out for one dog', async () => {
      const file = path.join(dir, 'two-dogs.png');
      writeFileSync(file, twoDogs);
      const run = await runCli('src/cli/classify.ts', [file, beagle, '--json'], {
        DETECTOR: 'on',
        MODELS_DIR: path.join(dir, 'cli-models'),
      });
      assert.equal(run.code, 0, run.stderr);
      const [both, one] = JSON.parse(run.stdout) as ClassifyOutput[];
      assert.deepEqual(
        both!.dogs?.map((d) => d.top5[0]?.breed),
        ['Beagle', 'Golden Retriever'],
      );
      for (const dog of both!.dogs!) {
        assert.deepEqual(Object.keys(dog).sort(), ['box', 'score', 'top5']);
        assert.deepEqual(Object.keys(dog.box).sort(), ['height', 'width', 'x', 'y']);
        assert.ok(dog.score > 0.25 && dog.score <= 1);
      }
      assert.equal(one!.top5[0]?.breed, 'Beagle');
      assert.equal('dogs' in one!, false);
    });

    test('POST /v1/classify answers with the same dogs over real HTTP', async () => {
      const api = await startHttpApi(app, config.httpApi!);
      try {
        const response = await fetch(`${api.url}/v1/classify`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/octet-stream' },
          body: new Uint8Array(twoDogs),
        });
        assert.equal(response.status, 200);
        const body = (await response.json()) as ClassifyOutput;
        assert.deepEqual(
          body.dogs?.map((d) => d.top5[0]?.breed),
          ['Beagle', 'Golden Retriever'],
        );
        assert.deepEqual(Object.keys(body.dogs![0]!.box).sort(), ['height', 'width', 'x', 'y']);
      } finally {
        await api.close();
      }
    });
  },
);

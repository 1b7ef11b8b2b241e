import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBreedbot, type BreedbotApp } from '../src/app/create.ts';
import { startHttpApi } from '../src/http/server.ts';
import type { ClassifyOutput } from '../src/cli/classify.ts';
import { sideBySide, skipWithoutDetector } from './helpers/detector-data.ts';
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

    test('the classify feature answers per dog, left to right, with the whole-photo answer beside', async () => {
      const c = await app.classifyImageBytes(twoDogs, source('400000000000000001'));
      assert.equal(c.replayed, false);
      assert.equal(c.result.isDog, true);
      assert.deepEqual(
        c.dogs?.map((d) => d.top5[0]?.breed),
        ['Beagle', 'Golden Retriever'],
      );
      c.dogs!.forEach(({ box }, i) => {
        const centre = box.x + box.width / 2;
        assert.ok(
          centre > tiles[i]!.x && centre < tiles[i]!.x + tiles[i]!.width,
          `dog ${i + 1}: ${JSON.stringify(box)}`,
        );
        assert.equal(c.dogs![i]!.top5.length, 5);
      });
      // A replay answers with the photo's stored prediction only (the dogs' crops are stored, not re-sent).
      const replay = await app.classifyImageBytes(twoDogs, source('400000000000000001'));
      assert.equal(replay.replayed, true);
      assert.equal(replay.dogs, undefined);
    });

    test('one dog: the whole-photo answer alone, as with the detector off', async () => {
      const c = await app.classifyImageBytes(await readFile(beagle), source('400000000000000002'));
      assert.equal(c.result.top5[0]?.breed, 'Beagle');
      assert.equal(c.dogs, undefined);
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

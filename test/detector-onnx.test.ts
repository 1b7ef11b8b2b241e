/**
 * DETECTOR_ENGINE: the detector's trunk converted to ONNX (src/detection/centernet-to-onnx.ts) and run by ONNX
 * Runtime, its decoding tail in tfjs, against the whole graph in tfjs on real photos; the conversion cache; the
 * engine choice and its errors.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { projectRoot } from '../src/config.ts';
import { convertDetectorTrunk, DetectorConversionError } from '../src/detection/centernet-to-onnx.ts';
import { loadDogDetector, WorkerDogDetector, type DogDetector } from '../src/detection/index.ts';
import { selectBackend } from '../src/model/backend.ts';
import { detectorEntry, sideBySide, skipWithoutDetector } from './helpers/detector-data.ts';
import { ortMissing } from './helpers/onnx-rig.ts';
import { imagewoofValDir, notDogsDir, skipWithoutPhotos } from './helpers/shared-data.ts';

const val = (synset: string, file: string) => path.join(imagewoofValDir, synset, file);
const beagle = val('n02088364', 'n02088364_10971.jpg');
const golden = val('n02099601', 'n02099601_10122.jpg');
const sheepdog = val('n02105641', 'n02105641_11571.jpg');
const tabby = path.join(notDogsDir, 'n02123045_tabby.jpg');

test('a graph op the trunk converter does not know is refused, naming the node and the op', () => {
  const nodes = [
    { name: 'images', op: 'Placeholder' },
    { name: 'squash', op: 'Tanh', input: ['images'] },
  ];
  assert.throws(
    () =>
      convertDetectorTrunk({
        nodes,
        weights: {},
        inputNode: 'images',
        inputSize: 8,
        outputNodes: ['squash'],
      }),
    (err: unknown) =>
      err instanceof DetectorConversionError && /'squash': op Tanh is not supported/.test(err.message),
  );
});

describe(
  'the detector with its trunk on ONNX Runtime',
  { skip: ortMissing || skipWithoutPhotos || skipWithoutDetector },
  () => {
    let cacheRoot: string;
    let source: { config: ReturnType<typeof detectorEntry>; cacheRoot: string; baseDir: string };
    let tfjsOnly: DogDetector;
    let onnx: DogDetector;
    before(async () => {
      cacheRoot = mkdtempSync(path.join(tmpdir(), 'detector-onnx-'));
      source = { config: detectorEntry(), cacheRoot, baseDir: projectRoot };
      await selectBackend('wasm');
      tfjsOnly = await loadDogDetector({ ...source, engine: 'tfjs' });
      onnx = await loadDogDetector({ ...source, engine: 'onnx' });
    });
    after(async () => {
      await tfjsOnly?.dispose();
      await onnx?.dispose();
      if (cacheRoot) rmSync(cacheRoot, { recursive: true, force: true });
    });

    test('it says what runs it; the tfjs-only detector never loads ONNX Runtime', () => {
      assert.equal(onnx.engine.name, 'onnxruntime-node + tfjs');
      assert.equal(tfjsOnly.engine.name, 'tfjs');
      assert.equal(tfjsOnly.engine.reason, 'DETECTOR_ENGINE=tfjs');
    });

    test('the same rows and dogs as the whole graph in tfjs: single dogs, two dogs, a cat, a dog among people', async () => {
      const photos = [
        await readFile(beagle),
        await readFile(sheepdog),
        await readFile(tabby),
        (await sideBySide([beagle, golden])).png,
        (await sideBySide([tabby, golden])).png,
      ];
      const tensorsBefore = tf.memory().numTensors;
      for (const bytes of photos) {
        const [ours, theirs] = [await onnx.readOutput(bytes), await tfjsOnly.readOutput(bytes)];
        assert.equal(ours.rows.length, theirs.rows.length);
        // Every row that could matter (score >= 0.1, well under the 0.25 threshold) is in both, to float rounding;
        // the order of the near-zero rows of the top 100 may differ where their scores tie.
        const strong = (rows: number[][]) => rows.filter((row) => row[4]! >= 0.1);
        assert.equal(strong(ours.rows).length, strong(theirs.rows).length);
        for (const row of strong(ours.rows)) {
          const twin = strong(theirs.rows).find(
            (other) =>
              other[5] === row[5] && row.every((v, i) => Math.abs(v - other[i]!) <= (i < 4 ? 0.05 : 1e-4)),
          );
          assert.ok(twin, `row ${row.map((v) => v.toFixed(3))} has no twin in the tfjs rows`);
        }
        const [a, b] = [await onnx.detect(bytes), await tfjsOnly.detect(bytes)];
        assert.equal(a.dogs.length, b.dogs.length);
        a.dogs.forEach((dog, i) => {
          const other = b.dogs[i]!;
          for (const k of ['x', 'y', 'width', 'height'] as const)
            assert.ok(Math.abs(dog[k] - other[k]) <= 1, `${k}`);
          assert.ok(Math.abs(dog.score - other.score) < 1e-3);
        });
      }
      assert.equal((await onnx.detect(photos[3]!)).dogs.length, 2, 'two dogs side by side');
      assert.equal((await onnx.detect(photos[4]!)).dogs.length, 1, 'a cat next to a dog');
      assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');
    });

    test('converted once: the trunk is cached under onnx/ and a second detector reuses it', async () => {
      const dir = path.join(cacheRoot, 'onnx');
      const [file] = readdirSync(dir).filter((f) => f.endsWith('.onnx'));
      assert.match(file!, /^centernet_coco\.trunk\.[0-9a-f]{16}\.onnx$/);
      const written = statSync(path.join(dir, file!)).mtimeMs;
      const again = await loadDogDetector({ ...source, engine: 'onnx' });
      try {
        assert.equal(statSync(path.join(dir, file!)).mtimeMs, written);
        assert.deepEqual(readdirSync(dir), [file]);
        const bytes = (await sideBySide([beagle, golden])).png;
        assert.deepEqual(await again.detect(bytes), await onnx.detect(bytes));
      } finally {
        await again.dispose();
      }
    });

    test('without a cut in the entry: onnx is an error, auto runs tfjs and says why', async () => {
      const { onnxTrunk: _cut, ...uncut } = detectorEntry();
      await assert.rejects(
        loadDogDetector({ ...source, config: uncut, engine: 'onnx' }),
        /DETECTOR_ENGINE=onnx cannot be used: the detector entry centernet_coco names no onnxTrunk cut/,
      );
      const fallback = await loadDogDetector({ ...source, config: uncut, engine: 'auto' });
      try {
        assert.equal(fallback.engine.name, 'tfjs');
        assert.match(
          fallback.engine.reason,
          /ONNX Runtime cannot run the detector \(.*no onnxTrunk cut\); tfjs runs all of it/,
        );
      } finally {
        await fallback.dispose();
      }
    });

    test('in its worker thread under auto: the ONNX trunk, the same dogs', async () => {
      const worker = await WorkerDogDetector.start({
        config: onnx.config,
        files: onnx.files,
        backend: 'wasm',
        engine: 'auto',
        cacheRoot,
      });
      try {
        assert.equal(worker.engine.name, 'onnxruntime-node + tfjs');
        const bytes = (await sideBySide([beagle, golden])).png;
        assert.deepEqual(await worker.detect(bytes), await onnx.detect(bytes));
      } finally {
        await worker.dispose();
      }
      assert.ok(existsSync(cacheRoot));
    });
  },
);

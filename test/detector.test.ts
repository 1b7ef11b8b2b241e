import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadConfig, projectRoot } from '../src/config.ts';
import {
  cropDog,
  cropRegion,
  dogsIn,
  intersectionOverUnion,
  loadDogDetector,
  WorkerDogDetector,
  type Box,
  type DogDetector,
} from '../src/detection/index.ts';
import { prepareModelInput } from '../src/images/decode.ts';
import { loadClassifierRuntime, type ClassifierRuntime } from '../src/model/index.ts';
import { detectorEntry, sideBySide, skipWithoutDetector } from './helpers/detector-data.ts';
import { imagewoofValDir, notDogsDir, sharedModelEnv, skipWithoutPhotos } from './helpers/shared-data.ts';

// Photos the classifier (MobileNet v1, base head) names right as whole photos.
const val = (synset: string, file: string) => path.join(imagewoofValDir, synset, file);
const beagle = val('n02088364', 'n02088364_10971.jpg');
const golden = val('n02099601', 'n02099601_10122.jpg');
const tabby = path.join(notDogsDir, 'n02123045_tabby.jpg');
/** An Old English sheepdog walking towards the camera between two people, 426x320. */
const sheepdog = val('n02105641', 'n02105641_11571.jpg');
/** The sheepdog's extent in that photo, drawn by hand (ears to paws, side to side). */
const sheepdogByHand: Box = { x: 152, y: 134, width: 90, height: 154 };

describe('geometry of the detector output', () => {
  const letterbox = { scale: 0.5, padX: 0, padY: 56, innerWidth: 512, innerHeight: 400 };
  const settings = { dogClass: 16, rivalClasses: [15], scoreThreshold: 0.25, iouThreshold: 0.5 };

  test('rows map back to photo pixels; weak, duplicate and cat-outscored dog boxes are dropped', () => {
    const { dogs } = dogsIn(
      {
        width: 1024,
        height: 800,
        letterbox,
        rows: [
          [300, 100, 500, 300, 0.45, 16], // dog on the right
          [305, 104, 498, 296, 0.3, 16], // the same dog again
          [0, 56, 100, 156, 0.5, 16], // dog on the left
          [200, 400, 260, 456, 0.2, 16], // too weak
          [100, 300, 200, 400, 0.4, 15], // a cat ...
          [102, 302, 198, 398, 0.33, 16], // ... also read, less surely, as a dog
        ],
      },
      settings,
    );
    assert.deepEqual(dogs, [
      { x: 0, y: 0, width: 200, height: 200, score: 0.5 },
      { x: 600, y: 88, width: 400, height: 400, score: 0.45 },
    ]);
  });

  test('a crop region grows the box by its margin and towards a square, inside the photo', () => {
    assert.deepEqual(cropRegion({ x: 100, y: 100, width: 100, height: 50 }, 0.1, 1000, 1000), {
      x: 90,
      y: 65,
      width: 120,
      height: 120,
    });
    assert.deepEqual(cropRegion({ x: 0, y: 10, width: 300, height: 20 }, 0.1, 320, 100), {
      x: 0,
      y: 0,
      width: 320,
      height: 100,
    });
  });
});

describe(
  'every dog in the photo, on pictures built from real photos',
  { skip: skipWithoutPhotos || skipWithoutDetector },
  () => {
    let runtime: ClassifierRuntime;
    let detector: DogDetector;
    before(async () => {
      runtime = await loadClassifierRuntime(loadConfig({ ...process.env, ...sharedModelEnv }), {
        embedEngine: 'inprocess',
      });
      detector = await loadDogDetector({
        config: { ...detectorEntry(), url: 'http://127.0.0.1:9/models/centernet.json' },
        cacheRoot: path.join(projectRoot, '.tmp', 'detector-test-cache'),
        baseDir: projectRoot,
        download: { timeoutMs: 2_000, attempts: 1 },
      });
    });
    after(async () => {
      await detector?.dispose();
      runtime?.dispose();
    });

    const breedOf = async (bytes: Uint8Array) =>
      (await runtime.classifier.classify((await prepareModelInput(bytes, runtime.imageSpec)).input)).top5[0]!
        .breed;

    test('the chosen photos are named right whole, so a crop that is named right is no accident', async () => {
      assert.equal(await breedOf(await readFile(beagle)), 'Beagle');
      assert.equal(await breedOf(await readFile(golden)), 'Golden Retriever');
    });

    test('two dog photos side by side: two dogs, left to right, each crop named as its photo', async () => {
      const { png, tiles } = await sideBySide([beagle, golden]);
      const found = await detector.detect(png);
      assert.equal(found.dogs.length, 2, JSON.stringify(found.dogs));
      found.dogs.forEach((dog, i) => {
        const tile = tiles[i]!;
        const centre = dog.x + dog.width / 2;
        assert.ok(
          centre > tile.x && centre < tile.x + tile.width,
          `dog ${i + 1} is centred in photo ${i + 1}`,
        );
      });
      const breeds = await Promise.all(
        found.dogs.map(async (dog) => breedOf(await cropDog(png, found, dog))),
      );
      assert.deepEqual(breeds, ['Beagle', 'Golden Retriever']);
    });

    test('a cat next to a dog: one dog, on the dog photo', async () => {
      const { png, tiles } = await sideBySide([tabby, beagle]);
      const found = await detector.detect(png);
      assert.equal(found.dogs.length, 1, JSON.stringify(found.dogs));
      assert.ok(
        found.dogs[0]!.x >= tiles[1]!.x - 10,
        `the dog box ${JSON.stringify(found.dogs[0])} is on the dog`,
      );
      assert.equal(await breedOf(await cropDog(png, found, found.dogs[0]!)), 'Beagle');
    });

    test('one dog among people: one box covering most of the dog, in original pixels', async () => {
      const found = await detector.detect(await readFile(sheepdog));
      assert.deepEqual([found.width, found.height], [426, 320]);
      assert.equal(found.dogs.length, 1, JSON.stringify(found.dogs));
      const box = found.dogs[0]!;
      assert.ok(intersectionOverUnion(box, sheepdogByHand) >= 0.75, `box ${JSON.stringify(box)}`);
    });

    test('in a worker thread: the same boxes, with no model tensor in this thread; closed, it refuses', async () => {
      const tensorsBefore = tf.memory().numTensors;
      const inWorker = await WorkerDogDetector.start({
        config: detector.config,
        files: detector.files,
        backend: 'wasm',
      });
      try {
        const { png } = await sideBySide([beagle, golden]);
        const [there, here] = await Promise.all([inWorker.detect(png), detector.detect(png)]);
        assert.deepEqual(there, here);
        // The caller's bytes stay whole (the crops are cut from them afterwards), also a Buffer with an ArrayBuffer of
        // its own, as an HTTP body arrives: the worker gets a copy.
        const body = Buffer.concat([png]);
        await inWorker.detect(body);
        assert.deepEqual(body, png);
        assert.equal(there.dogs.length, 2);
        assert.equal(tf.memory().numTensors, tensorsBefore);
      } finally {
        await inWorker.dispose();
      }
      await assert.rejects(inWorker.detect(await readFile(beagle)), /closed/);
    });

    test('detection leaves no tensor behind', async () => {
      const bytes = await readFile(beagle);
      await detector.detect(bytes);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await detector.detect(bytes);
      assert.equal(tf.memory().numTensors, before);
    });
  },
);

/**
 * The "why?" heatmap points at the dog (issue 12 §2): a collage of a dog photo beside a photo with no dog, built
 * with sharp, explained by occlusion on the real MobileNet weights; most of the heat must lie on the dog's half,
 * whichever side the dog is on.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { loadConfig } from '../src/config.ts';
import { explainPhoto } from '../src/model/explain/explain-photo.ts';
import { heatShare, hottestZone } from '../src/model/explain/heat-zone.ts';
import { loadClassifierRuntime, type ClassifierRuntime } from '../src/model/index.ts';
import { imagewoofValDir, notDogsDir, sharedModelEnv, skipWithoutPhotos } from './helpers/shared-data.ts';

const DOGS = [
  path.join(imagewoofValDir, 'n02088364', 'n02088364_10651.jpg'), // Beagle
  path.join(imagewoofValDir, 'n02111889', 'n02111889_10170.jpg'), // Samoyed
  path.join(imagewoofValDir, 'n02099601', 'n02099601_10122.jpg'), // Golden Retriever
];
const NOT_DOGS = [
  path.join(notDogsDir, 'n02948072_candle.jpg'),
  path.join(notDogsDir, 'n02007558_flamingo.jpg'),
  path.join(notDogsDir, 'n02123045_tabby.jpg'),
];

/** Two photos side by side, each cover-cropped to a half of a square (so the model sees the whole collage). */
async function collage(leftFile: string, rightFile: string, side = 448): Promise<Buffer> {
  const half = (file: string) =>
    sharp(file)
      .resize(side / 2, side, { fit: 'cover' })
      .png()
      .toBuffer();
  const [left, right] = await Promise.all([half(leftFile), half(rightFile)]);
  return sharp({ create: { width: side, height: side, channels: 3, background: '#808080' } })
    .composite([
      { input: left, left: 0, top: 0 },
      { input: right, left: side / 2, top: 0 },
    ])
    .jpeg({ quality: 92 })
    .toBuffer();
}

describe('occlusion heatmap on a dog beside a non-dog', { skip: skipWithoutPhotos }, () => {
  let runtime: ClassifierRuntime;
  before(async () => {
    runtime = await loadClassifierRuntime(loadConfig({ ...process.env, ...sharedModelEnv }));
  });
  after(() => runtime?.dispose());

  for (const [i, dog] of DOGS.entries()) {
    const notDog = NOT_DOGS[i]!;
    for (const dogSide of ['left', 'right'] as const) {
      test(`${path.basename(dog)} on the ${dogSide}, ${path.basename(notDog)} beside it`, async (t) => {
        const photo = dogSide === 'left' ? await collage(dog, notDog) : await collage(notDog, dog);
        const { map, seen } = await explainPhoto(runtime.classifier, photo);
        assert.equal(map.images, 50, 'a 7×7 grid plus the photo itself');
        const onDog = heatShare(map, seen, (x) => (dogSide === 'left' ? x < 0.5 : x >= 0.5));
        t.diagnostic(`${(onDog * 100).toFixed(0)}% of the heat on the dog; top breed ${map.breed}`);
        assert.ok(onDog > 0.5, `${(onDog * 100).toFixed(0)}% of the heat on the dog's half (${map.breed})`);
        const zone = hottestZone(map, seen);
        assert.ok(zone, 'some region stood out');
        assert.notEqual(
          zone.horizontal,
          dogSide === 'left' ? 'right' : 'left',
          'the hottest ninth is not on the other side',
        );
      });
    }
  }
});

/**
 * bench:detector's speed part: classify p50 as the bot answers with the detector off and on, in one run.
 *
 * The bot answers with the whole photo first and runs the detector after (issue 12), so with it on the next
 * request can arrive while the previous photo's detector (in its worker thread) and crops still run. This
 * replays that: requests back to back at concurrency 1, each one's second stage (bounded detector, crops
 * classified, boxes drawn) left running in the background, and times
 * - to the first answer (decode + classify), detector off and on: the budget figure (on/off at most 1.5x);
 * - to the per-dog answer, for the two-dog collages in the sequence (under that load, and one request at a time);
 * - the old way, for comparison: the detector awaited before answering.
 * Blocks alternate off / on / awaited, twice, so the machine's load hits each alike. Storage is left out.
 */
import sharp from 'sharp';
import { BoundedDogFinder, classifyEachDog, type DogFinder } from '../src/detection/index.ts';
import { drawDogBoxes } from '../src/images/dog-boxes.ts';
import type { BreedClassifier } from '../src/model/classifier.ts';

const median = (xs: number[]) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN;

/** Two photos side by side at one height (as the tests' collages), a photo with two dogs. */
export async function twoDogCollage(a: Uint8Array, b: Uint8Array, height = 320): Promise<Uint8Array> {
  const scaled = await Promise.all(
    [a, b].map((bytes) =>
      sharp(bytes).rotate().resize({ height }).png().toBuffer({ resolveWithObject: true }),
    ),
  );
  const width = scaled[0]!.info.width + scaled[1]!.info.width;
  return sharp({ create: { width, height, channels: 3, background: '#808080' } })
    .composite([
      { input: scaled[0]!.data, left: 0, top: 0 },
      { input: scaled[1]!.data, left: scaled[0]!.info.width, top: 0 },
    ])
    .png()
    .toBuffer();
}

export interface SpeedOptions {
  classifier: BreedClassifier;
  /** The detector as served: in its worker thread. */
  worker: DogFinder;
  /** Decode + classify of one photo: the first answer. */
  answer(bytes: Uint8Array): Promise<unknown>;
  /** The request sequence: single photos with two-dog collages mixed in. */
  sequence: { bytes: Uint8Array; twoDogs: boolean }[];
  rounds?: number;
}

export async function measureServingSpeed({
  classifier,
  worker,
  answer,
  sequence,
  rounds = 2,
}: SpeedOptions) {
  const bounded = new BoundedDogFinder(worker);
  const secondStage = async (bytes: Uint8Array) => {
    const dogs = await classifyEachDog(bytes, bounded, classifier);
    if (dogs.length >= 2)
      await drawDogBoxes(
        bytes,
        dogs.map((d) => d.crop.region),
      );
    return dogs.length;
  };
  const off: number[] = [];
  const on: number[] = [];
  const awaited: number[] = [];
  const toDogs: number[] = [];
  const toDogsAlone: number[] = [];
  let collagesAnswered = 0;
  let collagesSkipped = 0;
  let skippedByBound = 0;
  // Warm-up: both paths and the detector.
  for (const { bytes } of sequence.slice(0, 3)) await secondStage(bytes).then(() => answer(bytes));

  for (let round = 0; round < rounds; round++) {
    for (const { bytes } of sequence) {
      const t = performance.now();
      await answer(bytes);
      off.push(performance.now() - t);
    }
    const background: Promise<void>[] = [];
    const skippedBefore = bounded.skipped;
    for (const { bytes, twoDogs } of sequence) {
      const t = performance.now();
      await answer(bytes);
      on.push(performance.now() - t);
      background.push(
        secondStage(bytes).then((dogs) => {
          if (!twoDogs) return;
          if (dogs >= 2) {
            toDogs.push(performance.now() - t);
            collagesAnswered++;
          } else collagesSkipped++;
        }),
      );
    }
    await Promise.all(background);
    skippedByBound += bounded.skipped - skippedBefore;
    for (const { bytes, twoDogs } of sequence) {
      const t = performance.now();
      await answer(bytes);
      const dogs = await secondStage(bytes);
      awaited.push(performance.now() - t);
      if (twoDogs && dogs >= 2) toDogsAlone.push(performance.now() - t);
    }
  }
  return {
    requests: sequence.length * rounds,
    collages: sequence.filter((s) => s.twoDogs).length * rounds,
    firstAnswerP50MsOff: median(off),
    firstAnswerP50MsOn: median(on),
    ratio: median(on) / median(off),
    toPerDogAnswerP50Ms: median(toDogs),
    /** The same, one request at a time (nothing else in the detector): what a lone two-dog photo waits. */
    toPerDogAnswerAloneP50Ms: median(toDogsAlone),
    collagesAnsweredAlone: toDogsAlone.length,
    collagesAnswered,
    collagesSkipped,
    skippedByQueueBound: skippedByBound,
    queueBound: bounded.limit,
    awaitedP50Ms: median(awaited),
    awaitedRatio: median(awaited) / median(off),
  };
}

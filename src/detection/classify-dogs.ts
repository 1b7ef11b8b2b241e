/**
 * Several dogs in one photo, each named: the detector's boxes are cropped and classified in one batch. With one dog
 * or none the whole photo's answer stands (measured by `npm run bench:detector`: the crop names fewer dogs right,
 * and averaging crop and photo gains 2 of 400), so this returns no dogs then.
 */
import type { ImageLimits } from '../images/decode.ts';
import { MAX_DOGS_PER_PHOTO } from '../limits.ts';
import { prepareModelInput } from '../images/decode.ts';
import type { BreedClassifier } from '../model/classifier.ts';
import { imageSpecOf } from '../model/model-config.ts';
import type { BreedProbability, ClassifyResult } from '../model/types.ts';
import { cropRegion, type Box, type DogBox } from './boxes.ts';
import { cropDog, DEFAULT_CROP_MARGIN } from './detector.ts';
import type { DogFinder } from './worker-detector.ts';
import { DetectorQueueFullError } from './bounded-finder.ts';
import { log } from '../log.ts';

export interface DogAnswer {
  /** Where the dog is, in pixels of the photo as people see it; left to right across the answers. */
  box: DogBox;
  top5: BreedProbability[];
  /** The crop the dog was named from (JPEG), to store as an image of its own; `region` is its place in the photo. */
  crop: { bytes: Uint8Array; region: Box; sha256: string; width: number; height: number; format: string };
  /** The crop's whole answer, embedding included (training learns a dog's label from it). */
  result: ClassifyResult;
}

export async function classifyEachDog(
  bytes: Uint8Array,
  detector: Pick<DogFinder, 'detect'>,
  classifier: BreedClassifier,
  limits?: ImageLimits,
): Promise<DogAnswer[]> {
  let detection;
  try {
    detection = await detector.detect(bytes);
  } catch (err) {
    if (!(err instanceof DetectorQueueFullError)) throw err;
    log.warn({ limit: err.limit }, 'dog detector queue full: this photo keeps its whole-photo answer');
    return [];
  }
  if (detection.dogs.length < 2) return [];
  // The most confident dogs, still left to right.
  const dogs = [...detection.dogs]
    .sort((a, b) => b.score - a.score)
    .slice(0, MAX_DOGS_PER_PHOTO)
    .sort((a, b) => a.x - b.x);
  const spec = imageSpecOf(classifier.backbone.config);
  const crops = await Promise.all(
    dogs.map(async (dog) => {
      const cropBytes = await cropDog(bytes, detection, dog);
      const prepared = await prepareModelInput(cropBytes, spec, limits);
      const { sha256, width, height, format } = prepared;
      const region = cropRegion(dog, DEFAULT_CROP_MARGIN, detection.width, detection.height);
      return { input: prepared.input, crop: { bytes: cropBytes, region, sha256, width, height, format } };
    }),
  );
  const results = await classifier.classifyMany(crops.map((c) => c.input));
  return dogs.map((box, i) => ({
    box,
    top5: results[i]!.top5,
    crop: crops[i]!.crop,
    result: results[i]!,
  }));
}

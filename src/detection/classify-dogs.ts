/**
 * Several dogs in one photo, each named: the detector's boxes are cropped and classified in one batch. With one dog
 * or none the whole photo's answer stands (measured by `npm run bench:detector`: the crop names fewer dogs right,
 * and averaging crop and photo gains 2 of 400), so this returns no dogs then.
 */
import type { ImageLimits } from '../images/decode.ts';
import { prepareModelInput } from '../images/decode.ts';
import type { BreedClassifier } from '../model/classifier.ts';
import { imageSpecOf } from '../model/model-config.ts';
import type { BreedProbability } from '../model/types.ts';
import type { DogBox } from './boxes.ts';
import { cropDog } from './detector.ts';
import type { DogFinder } from './worker-detector.ts';

export interface DogAnswer {
  /** Where the dog is, in pixels of the photo as people see it; left to right across the answers. */
  box: DogBox;
  top5: BreedProbability[];
}

export async function classifyEachDog(
  bytes: Uint8Array,
  detector: Pick<DogFinder, 'detect'>,
  classifier: BreedClassifier,
  limits?: ImageLimits,
): Promise<DogAnswer[]> {
  const detection = await detector.detect(bytes);
  if (detection.dogs.length < 2) return [];
  const spec = imageSpecOf(classifier.backbone.config);
  const inputs = await Promise.all(
    detection.dogs.map(
      async (dog) => (await prepareModelInput(await cropDog(bytes, detection, dog), spec, limits)).input,
    ),
  );
  const results = await classifier.classifyMany(inputs);
  return detection.dogs.map((box, i) => ({ box, top5: results[i]!.top5 }));
}

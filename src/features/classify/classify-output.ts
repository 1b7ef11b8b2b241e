/**
 * The JSON one classified input becomes: what `npm run classify -- --json` prints per input and what the HTTP
 * API's POST /v1/classify answers. One builder, so the two cannot drift apart.
 */
import type { DogBox } from '../../detection/index.ts';
import { mixOf } from '../../model/mixed-breed.ts';
import type { PhotoDogs, PredictionView } from './types.ts';

/** One classified input; the shape is part of the CLI's and the HTTP API's contract. */
export interface ClassifyOutput {
  input: string;
  isDog: boolean;
  top5: { breed: string; probability: number }[];
  lookslike?: { label: string; probability: number };
  /** "Looks like a mix of these two" (src/model/mixed-breed.ts), most likely first; absent for one breed. */
  mix?: [string, string];
  modelVersion: string;
  /** With the detector on (DETECTOR=on) and several dogs found: each dog, left to right, named on its own. */
  dogs?: DogOutput[];
  error?: string;
}

export interface DogOutput {
  /** Pixels of the photo as people see it (after EXIF orientation); x, y is the top-left corner. */
  box: { x: number; y: number; width: number; height: number };
  /** The detector's confidence. */
  score: number;
  top5: { breed: string; probability: number }[];
}

/** `view` may be a whole ClassifyResult: only the contract's fields are copied (no embedding, no dog share). */
export function classifyOutput(
  input: string,
  view: PredictionView,
  dogs: readonly { box: DogBox; top5: PredictionView['top5'] }[] = [],
): ClassifyOutput {
  const top5 = (list: PredictionView['top5']) =>
    list.map(({ breed, probability }) => ({ breed, probability }));
  const mix = mixOf(view);
  return {
    input,
    isDog: view.isDog,
    top5: top5(view.top5),
    ...(view.lookslike ? { lookslike: view.lookslike } : {}),
    ...(mix ? { mix } : {}),
    modelVersion: view.modelVersion,
    ...(dogs.length > 0
      ? {
          dogs: dogs.map(({ box: { x, y, width, height, score }, top5: breeds }) => ({
            box: { x, y, width, height },
            score,
            top5: top5(breeds),
          })),
        }
      : {}),
  };
}

/** The dogs of a Classification as classifyOutput takes them: the detector's boxes, as the CLI prints them. */
export const outputDogs = (dogs: PhotoDogs | undefined) =>
  (dogs?.dogs ?? []).flatMap((d) => (d.detected ? [{ box: d.detected, top5: d.view.top5 }] : []));

/** Turns resolved labels into a train/holdout split over the output rows of the head to train. */
import { createHash } from 'node:crypto';
import type { BreedHead } from '../model/types.ts';
import type { Example, LabelledEmbedding } from './types.ts';

export interface SplitOptions {
  /** Share of each breed's images held out, decided by image hash (default 0.2). */
  holdoutFraction: number;
  /** Breeds with at least two images keep at least this many in the holdout (never all of them). */
  minHoldoutPerBreed: number;
  /**
   * A breed the start head does not know keeps all its images for training until it has this many: with ~20
   * photos every one of them is worth more for learning the breed than for measuring it (the active head
   * cannot name it anyway, so the holdout comparison gains nothing from them).
   */
  minNewBreedLabelsForHoldout: number;
}

export const defaultSplitOptions: SplitOptions = {
  holdoutFraction: 0.2,
  minHoldoutPerBreed: 2,
  minNewBreedLabelsForHoldout: 40,
};

export interface TrainingDataset {
  /** Output order of the head to train: the start head's breeds, then new breeds (sorted). */
  breeds: string[];
  newBreeds: string[];
  train: Example[];
  holdout: Example[];
  /** Breeds that have at least one label. */
  labelledBreeds: string[];
}

/**
 * Where an image falls in [0, 1): a hash of its content hash, so the same image lands in the same split in every
 * version and the split is unrelated to anything else derived from the hash.
 */
export function splitScore(sha256: string): number {
  const h = createHash('sha256').update(`breedbot-holdout:${sha256}`).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

export function buildDataset(
  labels: LabelledEmbedding[],
  startHead: Pick<BreedHead, 'breeds' | 'inputDim'>,
  options: Partial<SplitOptions> = {},
): TrainingDataset {
  const { holdoutFraction, minHoldoutPerBreed, minNewBreedLabelsForHoldout } = {
    ...defaultSplitOptions,
    ...options,
  };
  if (!(holdoutFraction >= 0 && holdoutFraction < 1)) throw new Error(`holdoutFraction must be in [0, 1)`);

  const byBreed = new Map<string, LabelledEmbedding[]>();
  for (const label of labels) {
    validateLabel(label, startHead.inputDim);
    const list = byBreed.get(label.breed) ?? [];
    list.push(label);
    byBreed.set(label.breed, list);
  }

  const known = new Set(startHead.breeds);
  const newBreeds = [...byBreed.keys()].filter((b) => !known.has(b)).sort();
  const breeds = [...startHead.breeds, ...newBreeds];
  const index = new Map(breeds.map((b, i) => [b, i]));

  const train: Example[] = [];
  const holdout: Example[] = [];
  for (const [breed, list] of [...byBreed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const scored = list
      .map((label) => ({ label, score: splitScore(label.sha256) }))
      .sort((a, b) => a.score - b.score || (a.label.sha256 < b.label.sha256 ? -1 : 1));
    let held = scored.filter((s) => s.score < holdoutFraction).length;
    if (!known.has(breed) && scored.length < minNewBreedLabelsForHoldout) {
      held = 0;
    } else if (scored.length >= 2) {
      const wanted = Math.max(1, Math.min(minHoldoutPerBreed, Math.floor(scored.length * holdoutFraction)));
      held = Math.min(Math.max(held, wanted), scored.length - 1);
    } else {
      held = 0; // a single image is worth more for learning the breed than for measuring it
    }
    const breedIndex = index.get(breed)!;
    scored.forEach(({ label }, i) => {
      const example: Example = {
        imageId: label.imageId,
        embedding: label.embedding,
        breedIndex,
        weight: label.weight,
      };
      (i < held ? holdout : train).push(example);
    });
  }
  return { breeds, newBreeds, train, holdout, labelledBreeds: [...byBreed.keys()].sort() };
}

function validateLabel(label: LabelledEmbedding, inputDim: number): void {
  if (label.embedding.length !== inputDim) {
    throw new Error(
      `image ${label.imageId}: embedding has ${label.embedding.length} values, the head takes ${inputDim} ` +
        '(made by another backbone?)',
    );
  }
  if (!(label.weight > 0) || !Number.isFinite(label.weight)) {
    throw new Error(`image ${label.imageId}: label weight must be a positive number, got ${label.weight}`);
  }
  for (const v of label.embedding) {
    if (!Number.isFinite(v)) throw new Error(`image ${label.imageId}: embedding contains NaN or Infinity`);
  }
  if (!label.breed.trim()) throw new Error(`image ${label.imageId}: empty breed name`);
}

/**
 * Why these labels cannot be trained on yet, or null when they can: a candidate is only ever judged on held-out
 * photos, and a holdout needs at least two labelled photos of one breed the start head knows (one is kept for
 * training), or `minNewBreedLabelsForHoldout` of a new breed. The same rule as buildDataset's split.
 */
export function tooFewLabels(
  labels: { breed: string }[],
  startBreeds: string[],
  options: Partial<SplitOptions> = {},
): string | null {
  const { minNewBreedLabelsForHoldout } = { ...defaultSplitOptions, ...options };
  const known = new Set(startBreeds);
  const perBreed = new Map<string, number>();
  for (const l of labels) perBreed.set(l.breed, (perBreed.get(l.breed) ?? 0) + 1);
  const enough = [...perBreed].some(
    ([breed, n]) => n >= (known.has(breed) ? 2 : minNewBreedLabelsForHoldout),
  );
  if (enough) return null;
  const n = labels.length;
  const most = Math.max(0, ...perBreed.values());
  const breeds = perBreed.size;
  return (
    `not enough labels yet: there ${n === 1 ? 'is' : 'are'} ${n} labelled photo${n === 1 ? '' : 's'}` +
    (n ? ` (${breeds} breed${breeds === 1 ? '' : 's'}, at most ${most} of any one)` : '') +
    `, and a training needs at least 2 of one breed the model already knows (or ${minNewBreedLabelsForHoldout} of a ` +
    'new breed), so that one can be kept aside to check the new model on. No new version was made'
  );
}

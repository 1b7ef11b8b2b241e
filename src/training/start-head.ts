/**
 * The head a training run starts from: the active head widened to the dataset's breeds, new breeds imprinted from
 * their images, and the per-example weights that keep rare breeds from being drowned out.
 */
import type { BreedHead } from '../model/types.ts';
import { assertHeadShape } from '../model/head-math.ts';
import type { TrainingDataset } from './dataset.ts';

/** The start head widened to `breeds`: existing outputs copied by name, new ones zero with `newBreedBias`. */
export function expandHead(start: BreedHead, breeds: string[], newBreedBias: number): BreedHead {
  assertHeadShape(start);
  const k0 = start.breeds.length;
  const k = breeds.length;
  const from = new Map(start.breeds.map((b, i) => [b, i]));
  const kernel = new Float32Array(start.inputDim * k);
  const bias = new Float32Array(k).fill(newBreedBias);
  breeds.forEach((breed, j) => {
    const i = from.get(breed);
    if (i === undefined) return;
    bias[j] = start.bias[i]!;
    for (let d = 0; d < start.inputDim; d++) kernel[d * k + j] = start.kernel[d * k0 + i]!;
  });
  return { breeds: [...breeds], inputDim: start.inputDim, kernel, bias };
}

/**
 * Starting weights of a new breed ("imprinting"): its kernel column points from the mean labelled embedding to the
 * mean of its own images, scaled so that it scores `imprintMargin` logits lower at the overall mean than at its
 * own mean, and its bias makes it tie with the best existing breed on its own images. Training then only has to
 * sharpen it, which matters when a breed arrives with ~20 photos.
 */
export function imprintNewBreeds(head: BreedHead, dataset: TrainingDataset, imprintMargin = 4): void {
  const D = head.inputDim;
  const K = head.breeds.length;
  const overall = new Float64Array(D);
  for (const e of dataset.train)
    for (let d = 0; d < D; d++) overall[d]! += e.embedding[d]! / dataset.train.length;
  const oldCount = K - dataset.newBreeds.length;
  for (const breed of dataset.newBreeds) {
    const j = head.breeds.indexOf(breed);
    const own = dataset.train.filter((e) => e.breedIndex === j);
    if (own.length === 0) continue;
    const direction = new Float64Array(D);
    for (const e of own) for (let d = 0; d < D; d++) direction[d]! += e.embedding[d]! / own.length;
    for (let d = 0; d < D; d++) direction[d]! -= overall[d]!;
    let norm2 = 0;
    for (let d = 0; d < D; d++) norm2 += direction[d]! ** 2;
    if (norm2 === 0) continue;
    for (let d = 0; d < D; d++) head.kernel[d * K + j] = (imprintMargin * direction[d]!) / norm2;
    // Bias: mean over its images of (best existing logit − the new column's x·w).
    let biasSum = 0;
    for (const e of own) {
      let best = -Infinity;
      let dot = 0;
      for (let c = 0; c < oldCount; c++) {
        let z = head.bias[c]!;
        for (let d = 0; d < D; d++) z += e.embedding[d]! * head.kernel[d * K + c]!;
        if (z > best) best = z;
      }
      for (let d = 0; d < D; d++) dot += e.embedding[d]! * head.kernel[d * K + j]!;
      biasSum += (oldCount > 0 ? best : 0) - dot;
    }
    head.bias[j] = biasSum / own.length;
  }
}

/** Per-example weights, with rare breeds weighted up toward the mean count (at most `maxFactor` times). */
export function balancedWeights(dataset: TrainingDataset, maxFactor: number): Float32Array {
  const weights = Float32Array.from(dataset.train, (e) => e.weight);
  if (maxFactor <= 1) return weights;
  const counts = new Map<number, number>();
  for (const e of dataset.train) counts.set(e.breedIndex, (counts.get(e.breedIndex) ?? 0) + 1);
  const mean = dataset.train.length / counts.size;
  dataset.train.forEach((e, i) => {
    weights[i]! *= Math.min(maxFactor, Math.max(1, mean / counts.get(e.breedIndex)!));
  });
  return weights;
}

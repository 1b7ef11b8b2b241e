/** Head training on synthetic labelled embeddings, with the project's trainer (src/training/train-head.ts). */
import { createHash } from 'node:crypto';
import type { BreedHead } from '../model/types.ts';
import { buildDataset } from '../training/dataset.ts';
import { createRng } from '../training/prng.ts';
import { trainHead } from '../training/train-head.ts';
import type { LabelledEmbedding } from '../training/types.ts';
import type { StepClock } from './time-box.ts';

export interface HeadFigure {
  labels: number;
  breeds: number;
  epochs: number;
  seconds: number;
  holdoutLoss: number;
}

/** `count` embeddings in `breeds` clusters: a random centre per breed plus noise, as pooled activations (>= 0). */
export function syntheticLabels(count: number, breeds: number, dim: number, seed = 7): LabelledEmbedding[] {
  const rng = createRng(seed);
  const centres = Array.from({ length: breeds }, () => Float32Array.from({ length: dim }, () => rng() * 2));
  return Array.from({ length: count }, (_, i) => {
    const breed = i % breeds;
    const centre = centres[breed]!;
    const embedding = Float32Array.from(centre, (c) => Math.max(0, c + (rng() - 0.5) * 1.5));
    return {
      imageId: `synthetic-${i}`,
      sha256: createHash('sha256').update(`synthetic-${i}`).digest('hex'),
      breed: `breed-${breed}`,
      weight: 1,
      embedding,
    };
  });
}

export function zeroHead(breeds: string[], dim: number): BreedHead {
  return {
    breeds,
    inputDim: dim,
    kernel: new Float32Array(dim * breeds.length),
    bias: new Float32Array(breeds.length),
  };
}

export async function benchHeadTraining(
  labels: LabelledEmbedding[],
  epochs: number,
  clock: StepClock,
): Promise<HeadFigure> {
  const breeds = [...new Set(labels.map((l) => l.breed))].sort();
  const dim = labels[0]!.embedding.length;
  const dataset = buildDataset(labels, { breeds, inputDim: dim });
  const result = await trainHead(
    zeroHead(breeds, dim),
    dataset,
    // A fixed number of epochs, so backends are compared on the same work.
    { maxEpochs: epochs, patience: epochs + 1, pseudoExamplesPerBreed: 0 },
    { signal: AbortSignal.timeout(Math.ceil(Math.max(1, clock.leftMs()))) },
  );
  return {
    labels: labels.length,
    breeds: breeds.length,
    epochs: result.epochsRun,
    seconds: result.seconds,
    holdoutLoss: result.holdoutLoss,
  };
}

/** Head training on synthetic labelled embeddings, with the project's trainer (src/training/train-head.ts). */
import { createHash } from 'node:crypto';
import type { BreedHead } from '../model/types.ts';
import { buildDataset } from '../training/dataset.ts';
import { createRng } from '../training/prng.ts';
import { TrainingAbortedError, trainHead } from '../training/train-head.ts';
import type { LabelledEmbedding } from '../training/types.ts';
import type { StepClock } from './time-box.ts';

export interface HeadFigure {
  labels: number;
  breeds: number;
  /** Epochs run: fewer than asked when the step's time ran out (complete: false). */
  epochs: number;
  complete: boolean;
  seconds: number;
  secondsPerEpoch: number;
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
  const began = performance.now();
  const done: { epoch: number; at: number; holdoutLoss: number }[] = [];
  const figure = (epochs: number, seconds: number, holdoutLoss: number, complete: boolean): HeadFigure => ({
    labels: labels.length,
    breeds: breeds.length,
    epochs,
    complete,
    seconds,
    secondsPerEpoch: seconds / epochs,
    holdoutLoss,
  });
  try {
    const result = await trainHead(
      zeroHead(breeds, dim),
      dataset,
      // A fixed number of epochs, so backends are compared on the same work.
      { maxEpochs: epochs, patience: epochs + 1, pseudoExamplesPerBreed: 0 },
      {
        signal: AbortSignal.timeout(Math.ceil(Math.max(1, clock.leftMs()))),
        onProgress: (p) => done.push({ epoch: p.epoch, at: performance.now(), holdoutLoss: p.holdoutLoss }),
      },
    );
    return figure(result.epochsRun, result.seconds, result.holdoutLoss, true);
  } catch (err) {
    const last = done.at(-1);
    if (!(err instanceof TrainingAbortedError) || !last) throw err;
    // Out of time after some epochs: their pace is still a figure.
    return figure(last.epoch, (last.at - began) / 1000, last.holdoutLoss, false);
  }
}

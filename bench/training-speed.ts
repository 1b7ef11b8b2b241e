/**
 * Bench stage: how long one retrain takes (the training engineer's trainCandidate: split, pseudo-examples,
 * head training with early stopping, evaluation, promotion decision) for 1k / 10k / 50k labels over 120 breeds.
 *
 * Labels are synthetic but learnable, as in bench/loop-dev.ts: embeddings of real photos are pushed by
 * makePseudoExamples until the base head names each of 120 breeds, then jittered (non-negative, like the
 * backbone's pooled ReLU features). ../shared has photos of only 69 breeds, too few for 120 real classes.
 */
import type { BreedHead } from '../src/model/types.ts';
import type { LabelledEmbedding } from '../src/training/types.ts';
import { round } from './load.ts';

export interface TrainingSpeed {
  labels: number;
  breeds: number;
  /** Whole trainCandidate call, seconds. */
  seconds: number;
  /** The head-training part alone (trainHead), seconds. */
  trainSeconds: number;
  epochsRun: number;
  holdoutTop1: number;
}

function createRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function measureTrainingSpeed(
  head: BreedHead,
  backboneId: string,
  activeVersion: string,
  realEmbeddings: Float32Array[],
  sizes: number[],
): Promise<TrainingSpeed[]> {
  const { makePseudoExamples } = await import('../src/training/pseudo-examples.ts');
  const { trainCandidate } = await import('../src/training/pipeline.ts');
  const breeds = head.breeds.slice(0, 120);
  const perBreed = 24;
  const seeds = await makePseudoExamples(head, realEmbeddings, breeds, { perBreed, seed: 7 });
  const rng = createRng(11);
  const results: TrainingSpeed[] = [];
  for (const n of sizes) {
    const labels: LabelledEmbedding[] = Array.from({ length: n }, (_, i) => {
      const seed = seeds[i % seeds.length]!;
      return {
        imageId: `synthetic-${i}`,
        sha256: i.toString(16).padStart(64, '0'),
        breed: breeds[Math.floor((i % seeds.length) / perBreed)]!,
        weight: 1,
        embedding: Float32Array.from(seed, (v) => Math.max(0, v * (0.8 + 0.4 * rng()))),
      };
    });
    const started = performance.now();
    const result = await trainCandidate({ activeHead: head, activeVersion, backboneId, labels });
    results.push({
      labels: n,
      breeds: breeds.length,
      seconds: round((performance.now() - started) / 1000),
      trainSeconds: round(result.metrics.trainSeconds),
      epochsRun: result.metrics.epochsRun,
      holdoutTop1: round(result.metrics.candidate.top1, 3),
    });
  }
  return results;
}

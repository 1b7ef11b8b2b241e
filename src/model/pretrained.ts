/**
 * What the not-a-dog verdict needs from the pretrained (ImageNet) classifier: the probability mass on the dog
 * classes and the best class outside them. Computed wherever the embedding is (a worker computes it next to
 * the backbone, so the serving thread does not spend ~1.5 ms per image on a 768 x 1000 dense layer).
 */
import { denseLogits, softmax } from './head-math.ts';

export interface PretrainedSummary {
  /** Share of the pretrained classifier's probability on the dog classes. */
  dogProbability: number;
  /** Index of the most probable class outside the dog classes (-1 when there is none). */
  bestOther: number;
  bestOtherProbability: number;
}

export interface PretrainedWeights {
  /** Row-major [embeddingDim, classes]. */
  kernel: Float32Array;
  bias: Float32Array;
  embeddingDim: number;
  dogClasses: { first: number; last: number };
}

export function summarisePretrained(
  probabilities: ArrayLike<number>,
  dogClasses: { first: number; last: number },
): PretrainedSummary {
  const { first, last } = dogClasses;
  let dogProbability = 0;
  let bestOther = -1;
  for (let i = 0; i < probabilities.length; i++) {
    if (i >= first && i <= last) dogProbability += probabilities[i]!;
    else if (bestOther < 0 || probabilities[i]! > probabilities[bestOther]!) bestOther = i;
  }
  return { dogProbability, bestOther, bestOtherProbability: bestOther < 0 ? 0 : probabilities[bestOther]! };
}

export function pretrainedProbabilities(embedding: Float32Array, weights: PretrainedWeights): Float64Array {
  return softmax(denseLogits(embedding, weights.kernel, weights.bias, weights.embeddingDim));
}

export const pretrainedSummary = (embedding: Float32Array, weights: PretrainedWeights): PretrainedSummary =>
  summarisePretrained(pretrainedProbabilities(embedding, weights), weights.dogClasses);

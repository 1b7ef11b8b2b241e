/**
 * Pseudo-examples of breeds nobody labelled: real stored embeddings nudged (gradient ascent on the start head's
 * log-probability, kept non-negative like the backbone's pooled ReLU features) until the start head names the
 * target breed with `targetProbability`. They sit close to the labelled images, exactly where a retrained head
 * would otherwise steal the close calls, so distilling the start head on them keeps those breeds' regions intact.
 */
import * as tf from '@tensorflow/tfjs';
import { argmax, logitsMatrix } from '../model/head-math.ts';
import type { BreedHead } from '../model/types.ts';
import type { TrainingDataset } from './dataset.ts';
import { createRng } from './prng.ts';

export interface PseudoExampleOptions {
  perBreed: number;
  seed: number;
  targetProbability: number;
  /** Each step raises the target's logit margin by about this much. */
  logitStep: number;
  maxSteps: number;
}

export const defaultPseudoExampleOptions: PseudoExampleOptions = {
  perBreed: 8,
  seed: 1,
  targetProbability: 0.6,
  logitStep: 1,
  maxSteps: 25,
};

export async function makePseudoExamples(
  head: BreedHead,
  seedEmbeddings: Float32Array[],
  targetBreeds: string[],
  options: Partial<PseudoExampleOptions> = {},
): Promise<Float32Array[]> {
  const o = { ...defaultPseudoExampleOptions, ...options };
  if (seedEmbeddings.length === 0 || targetBreeds.length === 0 || o.perBreed <= 0) return [];
  const D = head.inputDim;
  const K = head.breeds.length;
  const index = new Map(head.breeds.map((b, i) => [b, i]));
  const rng = createRng(o.seed ^ 0x5eed);
  const targets: number[] = [];
  const starts = new Float32Array(targetBreeds.length * o.perBreed * D);
  let n = 0;
  for (const breed of targetBreeds) {
    const k = index.get(breed);
    if (k === undefined) throw new Error(`pseudo-examples: the head has no breed "${breed}"`);
    for (let r = 0; r < o.perBreed; r++) {
      starts.set(seedEmbeddings[Math.floor(rng() * seedEmbeddings.length)]!, n * D);
      targets.push(k);
      n++;
    }
  }
  const W = tf.tensor2d(head.kernel, [D, K]);
  const WT = tf.transpose(W);
  const b = tf.tensor1d(head.bias);
  const target = tf.tidy(() => tf.oneHot(tf.tensor1d(targets, 'int32'), K).toFloat());
  const wTarget = target.matMul(WT); // [n, D]: the target breed's kernel column per row
  let out: tf.Tensor2D = tf.tensor2d(starts, [n, D]);
  for (let step = 0; step < o.maxSteps; step++) {
    const next = tf.tidy(() => {
      const p = tf.softmax(out.matMul(W).add(b));
      const active = p.mul(target).sum(1, true).less(o.targetProbability).toFloat();
      // d log p_k / dx = w_k − Σ_j p_j w_j; a step of logitStep/‖g‖² raises the margin by ~logitStep.
      const g = wTarget.sub(p.matMul(WT));
      const scale = active.mul(o.logitStep).div(g.square().sum(1, true).add(1e-12));
      return out.add(g.mul(scale)).relu() as tf.Tensor2D;
    });
    out.dispose();
    out = next;
  }
  tf.dispose([W, WT, b, target, wTarget]);
  // Read back asynchronously: tfjs's WebGPU backend cannot read synchronously in Node.
  let data: Float32Array;
  try {
    data = (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
  return Array.from({ length: n }, (_, i) => data.slice(i * D, (i + 1) * D));
}

/**
 * Where pseudo-examples start: labelled images the active head already gets right (starting from a misclassified
 * one would tell the trainer to keep that mistake) plus stored reference images.
 */
export async function pseudoExampleSeeds(
  head: BreedHead,
  dataset: TrainingDataset,
  references: Float32Array[],
): Promise<Float32Array[]> {
  const k = head.breeds.length;
  const z = await logitsMatrix(
    head,
    dataset.train.map((e) => e.embedding),
  );
  const correct = dataset.train
    .filter((e, i) => head.breeds[argmax(z.subarray(i * k, (i + 1) * k))] === dataset.breeds[e.breedIndex])
    .map((e) => e.embedding);
  const seeds = [...correct, ...references];
  return seeds.length > 0 ? seeds : dataset.train.map((e) => e.embedding);
}

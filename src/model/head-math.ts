/**
 * The maths of a dense softmax breed head, shared by serving (one embedding at a time) and training (evaluation,
 * the forgetting guard, pseudo-example seeds), so that both give the same answer for the same photo.
 *
 * One precision: logits are float32, what the stored weights, the embeddings and tfjs's matMul hold; the
 * single-embedding loop sums in float64 and rounds each logit once, which tfjs's float32 matMul matches to
 * rounding. Softmax is always taken in float64 over those logits.
 */
import * as tf from '@tensorflow/tfjs';
import type { BreedHead, BreedProbability } from './types.ts';

/**
 * Dense layer on one embedding: x · kernel + bias, kernel row-major [inputDim, outputs]. Plain typed-array
 * code: for one image (1280 x 1000 at most) it is faster than a tfjs round trip and allocates no tensors.
 */
export function denseLogits(
  x: Float32Array,
  kernel: Float32Array,
  bias: Float32Array,
  inputDim: number,
): Float32Array {
  const outputs = bias.length;
  if (x.length !== inputDim) throw new Error(`embedding has ${x.length} values, the layer takes ${inputDim}`);
  const sums = Float64Array.from(bias);
  for (let d = 0; d < inputDim; d++) {
    const xd = x[d]!;
    if (xd === 0) continue; // post-ReLU embeddings are often sparse
    const row = d * outputs;
    for (let j = 0; j < outputs; j++) sums[j]! += xd * kernel[row + j]!;
  }
  return Float32Array.from(sums);
}

/** Logits of one embedding under `head`. */
export const headLogits = (head: BreedHead, x: Float32Array): Float32Array =>
  denseLogits(x, head.kernel, head.bias, head.inputDim);

/** Numerically stable softmax of `logits`, in float64. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let j = 0; j < logits.length; j++) if (logits[j]! > max) max = logits[j]!;
  const p = new Float64Array(logits.length);
  let sum = 0;
  for (let j = 0; j < logits.length; j++) {
    p[j] = Math.exp(logits[j]! - max);
    sum += p[j]!;
  }
  for (let j = 0; j < p.length; j++) p[j]! /= sum;
  return p;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < values.length; j++) if (values[j]! > values[best]!) best = j;
  return best;
}

/** Indices of the `n` largest values, largest first. */
export function topIndices(values: ArrayLike<number>, n: number): number[] {
  const top: number[] = [];
  for (let j = 0; j < values.length; j++) {
    let pos = top.length;
    while (pos > 0 && values[top[pos - 1]!]! < values[j]!) pos--;
    if (pos < n) {
      top.splice(pos, 0, j);
      if (top.length > n) top.pop();
    }
  }
  return top;
}

/** The head's probability for every breed, in `head.breeds` order. */
export function headProbabilities(head: BreedHead, embedding: Float32Array): Float64Array {
  return softmax(headLogits(head, embedding));
}

export function topBreeds(head: BreedHead, probabilities: ArrayLike<number>, n = 5): BreedProbability[] {
  return topIndices(probabilities, n).map((i) => ({
    breed: head.breeds[i]!,
    probability: probabilities[i]!,
  }));
}

/**
 * Logits of many embeddings at once, [n, breeds] row-major, with one matMul per chunk on the active tfjs backend
 * (15 times faster than the loop on wasm for thousands of images). Read back asynchronously: tfjs's WebGPU
 * backend cannot read synchronously in Node (it would need OffscreenCanvas).
 */
export async function logitsMatrix(
  head: BreedHead,
  embeddings: Float32Array[],
  chunk = 4096,
): Promise<Float32Array> {
  const k = head.breeds.length;
  const out = new Float32Array(embeddings.length * k);
  if (embeddings.length === 0) return out;
  const W = tf.tensor2d(head.kernel, [head.inputDim, k]);
  const b = tf.tensor1d(head.bias);
  try {
    for (let start = 0; start < embeddings.length; start += chunk) {
      const rows = embeddings.slice(start, start + chunk);
      const x = new Float32Array(rows.length * head.inputDim);
      rows.forEach((r, i) => x.set(r, i * head.inputDim));
      const z = tf.tidy(() => tf.tensor2d(x, [rows.length, head.inputDim]).matMul(W).add(b));
      try {
        out.set((await z.data()) as Float32Array, start * k);
      } finally {
        z.dispose();
      }
    }
  } finally {
    W.dispose();
    b.dispose();
  }
  return out;
}

/** Throws when a head's arrays do not match its declared shape, or it does not fit the embedding size. */
export function assertHeadShape(head: BreedHead, embeddingDim?: number): void {
  const k = head.breeds.length;
  if (k === 0) throw new Error('the breed head has no breeds');
  if (head.kernel.length !== head.inputDim * k) {
    throw new Error(`head kernel has ${head.kernel.length} values, expected ${head.inputDim} x ${k}`);
  }
  if (head.bias.length !== k) throw new Error(`head bias has ${head.bias.length} values, expected ${k}`);
  if (embeddingDim !== undefined && head.inputDim !== embeddingDim) {
    throw new Error(`head takes ${head.inputDim}-d embeddings but the backbone makes ${embeddingDim}-d ones`);
  }
  if (new Set(head.breeds.map((b) => b.toLowerCase())).size !== k)
    throw new Error('head has duplicate breed names');
}

/** A head over a subset of a bigger dense layer's outputs (the ImageNet dog classes, for the base head). */
export function sliceHead(
  kernel: Float32Array,
  bias: Float32Array,
  inputDim: number,
  outputIndices: number[],
  names: string[],
): BreedHead {
  const outputs = bias.length;
  const k = outputIndices.length;
  const sub = new Float32Array(inputDim * k);
  for (let d = 0; d < inputDim; d++) {
    for (let j = 0; j < k; j++) sub[d * k + j] = kernel[d * outputs + outputIndices[j]!]!;
  }
  return { breeds: names, inputDim, kernel: sub, bias: Float32Array.from(outputIndices, (i) => bias[i]!) };
}

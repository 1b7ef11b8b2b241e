/** Plain typed-array maths of a dense softmax head, used by evaluation and the forgetting guard. */
import * as tf from '@tensorflow/tfjs';
import type { BreedHead } from '../model/types.ts';

/** Logits of one embedding: x · kernel + bias. */
export function headLogits(
  head: BreedHead,
  x: Float32Array,
  out = new Float32Array(head.breeds.length),
): Float32Array {
  const k = head.breeds.length;
  const { kernel, bias } = head;
  out.set(bias);
  for (let d = 0; d < head.inputDim; d++) {
    const xd = x[d]!;
    if (xd === 0) continue;
    const row = d * k;
    for (let j = 0; j < k; j++) out[j]! += xd * kernel[row + j]!;
  }
  return out;
}

/** In-place softmax (numerically stable); returns its argument. */
export function softmaxInPlace(z: Float32Array, temperature = 1): Float32Array {
  let max = -Infinity;
  for (let j = 0; j < z.length; j++) if (z[j]! > max) max = z[j]!;
  let sum = 0;
  for (let j = 0; j < z.length; j++) {
    const e = Math.exp((z[j]! - max) / temperature);
    z[j] = e;
    sum += e;
  }
  for (let j = 0; j < z.length; j++) z[j]! /= sum;
  return z;
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < v.length; j++) if (v[j]! > v[best]!) best = j;
  return best;
}

/** Indices of the `n` largest values, largest first. */
export function topIndices(v: ArrayLike<number>, n: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < v.length; j++) {
    let pos = out.length;
    while (pos > 0 && v[out[pos - 1]!]! < v[j]!) pos--;
    if (pos < n) {
      out.splice(pos, 0, j);
      if (out.length > n) out.pop();
    }
  }
  return out;
}

/** Probabilities of every embedding under `head`. */
export function predictProbabilities(head: BreedHead, embeddings: Float32Array[]): Float32Array[] {
  return embeddings.map((x) => softmaxInPlace(headLogits(head, x)));
}

export function checkHeadShape(head: BreedHead): void {
  const k = head.breeds.length;
  if (head.kernel.length !== head.inputDim * k || head.bias.length !== k) {
    throw new Error(
      `head shape mismatch: kernel ${head.kernel.length} vs ${head.inputDim}x${k}, bias ${head.bias.length} vs ${k}`,
    );
  }
}

/**
 * Logits of many embeddings at once, [n, breeds] row-major, with one matMul per chunk on the active tfjs backend
 * (tens of times faster than the scalar loop for thousands of images).
 */
export function logitsMatrix(head: BreedHead, embeddings: Float32Array[], chunk = 4096): Float32Array {
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
      out.set(z.dataSync() as Float32Array, start * k);
      z.dispose();
    }
  } finally {
    W.dispose();
    b.dispose();
  }
  return out;
}

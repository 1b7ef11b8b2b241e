import type { BreedHead, BreedProbability } from './types.ts';

/**
 * Dense layer on one embedding: x · kernel + bias, kernel row-major [inputDim, outputs]. Plain typed-array
 * code: for one image (768 x 1000 at most) it is faster than a tfjs round trip and allocates no tensors.
 */
export function denseLogits(
  x: Float32Array,
  kernel: Float32Array,
  bias: Float32Array,
  inputDim: number,
): Float64Array {
  const outputs = bias.length;
  if (x.length !== inputDim) throw new Error(`embedding has ${x.length} values, the layer takes ${inputDim}`);
  const out = Float64Array.from(bias);
  for (let d = 0; d < inputDim; d++) {
    const xd = x[d]!;
    if (xd === 0) continue; // post-ReLU embeddings are often sparse
    const row = d * outputs;
    for (let j = 0; j < outputs; j++) out[j]! += xd * kernel[row + j]!;
  }
  return out;
}

/** Numerically stable softmax, in place; returns its argument. */
export function softmaxInPlace(z: Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let j = 0; j < z.length; j++) {
    z[j] = Math.exp(z[j]! - max);
    sum += z[j]!;
  }
  for (let j = 0; j < z.length; j++) z[j]! /= sum;
  return z;
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
  return softmaxInPlace(denseLogits(embedding, head.kernel, head.bias, head.inputDim));
}

export function topBreeds(head: BreedHead, probabilities: Float64Array, n = 5): BreedProbability[] {
  return topIndices(probabilities, n).map((i) => ({
    breed: head.breeds[i]!,
    probability: probabilities[i]!,
  }));
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

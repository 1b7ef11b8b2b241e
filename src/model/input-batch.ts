import type { ModelInput } from './types.ts';

/** Packs preprocessed images into one NHWC float32 batch, checking each is the backbone's size. */
export function packBatch(inputs: readonly ModelInput[], size: number): Float32Array<ArrayBuffer> {
  const pixels = size * size * 3;
  const batch = new Float32Array(inputs.length * pixels);
  inputs.forEach((input, i) => {
    if (input.size !== size || input.data.length !== pixels) {
      throw new Error(
        `model input ${i} is ${input.size}px (${input.data.length} values); the backbone takes ${size}px`,
      );
    }
    batch.set(input.data, i * pixels);
  });
  return batch;
}

/** Splits a [count, dim] row-major output into one array per image. */
export function splitRows(flat: Float32Array, count: number, dim: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => flat.slice(i * dim, (i + 1) * dim));
}

/** Runs `embedFlat` on chunks of at most `maxBatch` images. */
export async function embedInChunks(
  inputs: readonly ModelInput[],
  options: { size: number; dim: number; maxBatch: number },
  embedFlat: (batch: Float32Array, count: number) => Promise<Float32Array>,
): Promise<Float32Array[]> {
  const result: Float32Array[] = [];
  for (let start = 0; start < inputs.length; start += options.maxBatch) {
    const chunk = inputs.slice(start, start + options.maxBatch);
    const flat = await embedFlat(packBatch(chunk, options.size), chunk.length);
    result.push(...splitRows(flat, chunk.length, options.dim));
  }
  return result;
}

/** Input and output transforms shared by every engine, so tfjs, ONNX Runtime and workers embed alike. */
import type { ModelInput } from './types.ts';

export type EmbedFn = (inputs: readonly ModelInput[]) => Promise<Float32Array[]>;

/** The image mirrored left to right (HWC, 3 channels). */
export function mirrored(input: ModelInput): ModelInput {
  const { size, data } = input;
  const out = new Float32Array(data.length);
  for (let y = 0; y < size; y++) {
    const row = y * size * 3;
    for (let x = 0; x < size; x++) {
      const from = row + x * 3;
      const to = row + (size - 1 - x) * 3;
      out[to] = data[from]!;
      out[to + 1] = data[from + 1]!;
      out[to + 2] = data[from + 2]!;
    }
  }
  return { size, data: out };
}

/**
 * Test-time flip averaging: each embedding is the mean of the photo's and its mirror image's. Both go through
 * the backbone in one call, so batching still amortises the per-call cost.
 */
export function withFlipAverage(embed: EmbedFn): EmbedFn {
  return async (inputs) => {
    const rows = await embed([...inputs, ...inputs.map(mirrored)]);
    return inputs.map((_, i) => {
      const plain = rows[i]!;
      const flipped = rows[i + inputs.length]!;
      const mean = new Float32Array(plain.length);
      for (let j = 0; j < plain.length; j++) mean[j] = (plain[j]! + flipped[j]!) / 2;
      return mean;
    });
  };
}

export interface Normalisation {
  scale: number;
  offset: number;
}

/**
 * Re-expresses inputs normalised as `from` (p * scale + offset) in `to`'s normalisation: an ensemble
 * preprocesses a photo once, and each member gets the value range it was trained on.
 */
export function renormalised(
  inputs: readonly ModelInput[],
  from: Normalisation,
  to: Normalisation,
): ModelInput[] {
  if (from.scale === to.scale && from.offset === to.offset) return [...inputs];
  const gain = to.scale / from.scale;
  const shift = to.offset - from.offset * gain;
  return inputs.map(({ size, data }) => {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i]! * gain + shift;
    return { size, data: out };
  });
}

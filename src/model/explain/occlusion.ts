/**
 * Occlusion sensitivity: which parts of the model's input square drove the top breed. A grey patch slides over
 * a grid × grid lattice of overlapping positions; each occluded copy goes through the classifier's batched
 * embedding and head, and a cell's heat is how much the top breed's probability drops when its patch is grey.
 *
 * Chosen over Grad-CAM because no serving engine (ONNX Runtime, tfjs wasm in a worker, WebGPU) hands out
 * gradients, while every one of them embeds batches. The images are built with typed-array copies and fills
 * (native), the embeddings run off the main thread in the engine.
 */
import type { BreedClassifier } from '../classifier.ts';
import { headProbabilities, topIndices } from '../head-math.ts';
import type { ModelInput } from '../types.ts';

export interface OcclusionOptions {
  /** Cells per side (7 → 49 occluded images plus the original). */
  grid?: number;
  /** Occluded images per embedding call: small enough that classify requests queued meanwhile are not held up. */
  batch?: number;
  /** The normalised value of the grey patch (mid-grey 128 through the backbone's normalisation). */
  grey: number;
}

export const DEFAULT_OCCLUSION_GRID = 7;
const DEFAULT_BATCH = 8;

/** Heat of each cell of the model's input square, row-major, top-left first; the top breed it explains. */
export interface OcclusionMap {
  grid: number;
  /** grid × grid drops of the top breed's probability (0 where greying a patch did not lower it). */
  heat: Float64Array;
  breed: string;
  /** The top breed's probability on the untouched image. */
  probability: number;
  /** Images embedded (the original and each occluded copy): the explanation's cost. */
  images: number;
}

interface Patch {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Patch of cell (row, col): centred on the cell, two cells wide, clipped to the square. Neighbouring patches
 * overlap by half, so a dog's head that straddles a cell border still gets greyed as a whole by some patch.
 */
export function patchOf(row: number, col: number, grid: number, size: number): Patch {
  const cell = size / grid;
  const clip = (v: number) => Math.max(0, Math.min(size, Math.round(v)));
  const left = clip((col + 0.5) * cell - cell);
  const top = clip((row + 0.5) * cell - cell);
  const right = clip((col + 0.5) * cell + cell);
  const bottom = clip((row + 0.5) * cell + cell);
  return { left, top, width: right - left, height: bottom - top };
}

/** A copy of `input` with `patch` set to `grey` in every channel (row by row: one native fill per row). */
export function occluded(input: ModelInput, patch: Patch, grey: number): ModelInput {
  const data = input.data.slice();
  const rowValues = patch.width * 3;
  for (let y = patch.top; y < patch.top + patch.height; y++) {
    const start = (y * input.size + patch.left) * 3;
    data.fill(grey, start, start + rowValues);
  }
  return { data, size: input.size };
}

/** Runs the occlusion map of `input` on `classifier`: the top breed's probability drop per grid cell. */
export async function occlusionMap(
  classifier: BreedClassifier,
  input: ModelInput,
  options: OcclusionOptions,
): Promise<OcclusionMap> {
  const grid = options.grid ?? DEFAULT_OCCLUSION_GRID;
  const batch = options.batch ?? DEFAULT_BATCH;
  if (!Number.isInteger(grid) || grid < 2) throw new RangeError(`occlusion grid must be a whole number ≥ 2`);
  const [base] = await classifier.embed([input]);
  const baseProbabilities = headProbabilities(classifier.head, base!);
  const top = topIndices(baseProbabilities, 1)[0]!;
  const probability = baseProbabilities[top]!;
  const heat = new Float64Array(grid * grid);
  for (let start = 0; start < heat.length; start += batch) {
    const cells = Array.from({ length: Math.min(batch, heat.length - start) }, (_, i) => start + i);
    const inputs = cells.map((cell) =>
      occluded(input, patchOf(Math.floor(cell / grid), cell % grid, grid, input.size), options.grey),
    );
    const embeddings = await classifier.embed(inputs);
    cells.forEach((cell, i) => {
      const drop = probability - headProbabilities(classifier.head, embeddings[i]!)[top]!;
      heat[cell] = Math.max(0, drop);
    });
  }
  return { grid, heat, breed: classifier.head.breeds[top]!, probability, images: heat.length + 1 };
}

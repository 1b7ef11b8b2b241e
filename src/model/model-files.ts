import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** The parts of a tfjs model.json this project relies on. */
export interface ModelJson {
  modelTopology: unknown;
  format?: string;
  weightsManifest: WeightGroup[];
  [key: string]: unknown;
}

export interface WeightGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string } }[];
}

/** A model directory that is missing, partial or corrupt; `problem` says what, without advice. */
export class ModelFilesError extends Error {
  constructor(
    readonly dir: string,
    readonly problem: string,
  ) {
    super(`${problem} (in ${dir})`);
    this.name = 'ModelFilesError';
  }
}

const bytesPerElement: Record<string, number> = {
  float32: 4,
  int32: 4,
  uint16: 2,
  float16: 2,
  uint8: 1,
  bool: 1,
  complex64: 8,
};

/**
 * Byte size a weight group's files must add up to, from the manifest alone; undefined when it
 * cannot be known in advance (string weights).
 */
export function expectedGroupBytes(group: WeightGroup): number | undefined {
  let total = 0;
  for (const w of group.weights) {
    const dtype = w.quantization?.dtype ?? w.dtype;
    const size = bytesPerElement[dtype];
    if (size === undefined) return undefined;
    total += w.shape.reduce((a, b) => a * b, 1) * size;
  }
  return total;
}

/** Parses and sanity-checks model.json text; throws a readable message on anything unusable. */
export function parseModelJson(text: string, where: string): ModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFilesError(where, `model.json is not valid JSON (${(err as Error).message})`);
  }
  const m = json as Partial<ModelJson> | null;
  if (!m || typeof m !== 'object' || !m.modelTopology) {
    throw new ModelFilesError(where, 'model.json has no modelTopology: it is not a TensorFlow.js model');
  }
  if (!Array.isArray(m.weightsManifest) || m.weightsManifest.length === 0) {
    throw new ModelFilesError(where, 'model.json has no weightsManifest');
  }
  for (const group of m.weightsManifest) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group.weights)) {
      throw new ModelFilesError(where, 'model.json has a malformed weightsManifest entry');
    }
    for (const p of group.paths) {
      // Weight paths come from a possibly downloaded file: never let them climb out of the model folder.
      if (typeof p !== 'string' || p.includes('..') || path.isAbsolute(p) || p.includes('\\')) {
        throw new ModelFilesError(where, `model.json names an unsafe weight path ${JSON.stringify(p)}`);
      }
    }
  }
  return m as ModelJson;
}

/**
 * Checks that `dir` holds a complete model: its model.json (`jsonFile`, for models whose file has another name)
 * parses and every weight file exists with the byte size its manifest implies. Returns the parsed model.json.
 */
export function verifyModelDir(dir: string, jsonFile = 'model.json'): ModelJson {
  const jsonPath = path.join(dir, jsonFile);
  if (!existsSync(dir)) throw new ModelFilesError(dir, 'the model folder does not exist');
  if (!existsSync(jsonPath)) throw new ModelFilesError(dir, `${jsonFile} is missing`);
  const model = parseModelJson(readFileSync(jsonPath, 'utf8'), dir);
  for (const group of model.weightsManifest) {
    let actual = 0;
    for (const p of group.paths) {
      const file = path.join(dir, p);
      if (!existsSync(file)) throw new ModelFilesError(dir, `weight file ${p} is missing`);
      actual += statSync(file).size;
    }
    const expected = expectedGroupBytes(group);
    if (expected !== undefined && actual !== expected) {
      throw new ModelFilesError(
        dir,
        `weight file${group.paths.length > 1 ? 's' : ''} ${group.paths.join(', ')} ` +
          `${group.paths.length > 1 ? 'hold' : 'holds'} ${actual} bytes but model.json expects ${expected}`,
      );
    }
  }
  return model;
}

/**
 * A tfjs IOHandler that reads a model folder from disk. tfjs without tfjs-node has no file:// loader,
 * so this is what lets the wasm and cpu backends load local models.
 */
export function fileModelHandler(dir: string, jsonFile = 'model.json'): tf.io.IOHandler {
  return {
    load: async () => {
      const model = verifyModelDir(dir, jsonFile);
      return tf.io.getModelArtifactsForJSON(model as unknown as tf.io.ModelJSON, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const buffers = await Promise.all(
          manifest.flatMap((g) => g.paths.map((p) => readFile(path.join(dir, p)))),
        );
        const joined = Buffer.concat(buffers);
        const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
        return [specs, weightData];
      });
    },
  };
}

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readTflite } from '../tflite/index.ts';
import { CONVERTER_VERSION, convertLayersBackbone } from './keras-to-onnx.ts';
import type { LayersModelFiles } from './layers-model.ts';
import { QDQ_CONVERTER_VERSION, convertTfliteToQdq } from './tflite-to-qdq-onnx.ts';

export interface CachedOnnx {
  path: string;
  /** True when this call wrote the file (a cold cache). */
  converted: boolean;
}

const shortHash = (text: string | Uint8Array) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Cache file name: model id, cut layer, and a hash of the weights, cut and converter version. */
export function onnxCacheFile(
  cacheDir: string,
  modelId: string,
  outputLayer: string,
  files: LayersModelFiles,
): string {
  const key = shortHash(`${files.contentHash}\n${outputLayer}\nconverter-v${CONVERTER_VERSION}`);
  return path.join(cacheDir, `${modelId}.${outputLayer}.${key}.onnx`);
}

/** Returns `file`, writing `convert()`'s bytes to it first (atomically) when it is not there yet. */
export function cached(file: string, convert: () => Uint8Array): CachedOnnx {
  if (existsSync(file)) return { path: file, converted: false };
  const onnx = convert();
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, onnx);
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
  return { path: file, converted: true };
}

/** Returns the cached ONNX conversion of the backbone, converting (and writing atomically) on a miss. */
export function cachedOnnxBackbone(
  files: LayersModelFiles,
  options: { cacheDir: string; modelId: string; outputLayer: string },
): CachedOnnx {
  const file = onnxCacheFile(options.cacheDir, options.modelId, options.outputLayer, files);
  return cached(file, () => convertLayersBackbone(files, { outputLayer: options.outputLayer }).onnx);
}

/**
 * Returns the cached integer (QDQ, int8 weights) ONNX graph of a uint8 .tflite file, converting on a miss. Keyed by
 * the file's bytes and the converter version, like the float conversion.
 */
export function cachedQdqBackbone(
  tfliteFile: string,
  options: { cacheDir: string; modelId: string },
): CachedOnnx {
  const bytes = new Uint8Array(readFileSync(tfliteFile));
  const key = shortHash(Buffer.concat([bytes, Buffer.from(`\nqdq-int8-v${QDQ_CONVERTER_VERSION}`)]));
  const file = path.join(options.cacheDir, `${options.modelId}.int8.${key}.onnx`);
  return cached(file, () => convertTfliteToQdq(readTflite(bytes, tfliteFile), { weights: 'int8' }).onnx);
}

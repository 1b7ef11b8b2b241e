import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONVERTER_VERSION, convertLayersBackbone } from './keras-to-onnx.ts';
import type { LayersModelFiles } from './layers-model.ts';

export interface CachedOnnx {
  path: string;
  /** True when this call wrote the file (a cold cache). */
  converted: boolean;
}

/** Cache file name: model id, cut layer, and a hash of the weights, cut and converter version. */
export function onnxCacheFile(
  cacheDir: string,
  modelId: string,
  outputLayer: string,
  files: LayersModelFiles,
): string {
  const key = createHash('sha256')
    .update(`${files.contentHash}\n${outputLayer}\nconverter-v${CONVERTER_VERSION}`)
    .digest('hex')
    .slice(0, 16);
  return path.join(cacheDir, `${modelId}.${outputLayer}.${key}.onnx`);
}

/** Returns the cached ONNX conversion of the backbone, converting (and writing atomically) on a miss. */
export function cachedOnnxBackbone(
  files: LayersModelFiles,
  options: { cacheDir: string; modelId: string; outputLayer: string },
): CachedOnnx {
  const file = onnxCacheFile(options.cacheDir, options.modelId, options.outputLayer, files);
  if (existsSync(file)) return { path: file, converted: false };
  const { onnx } = convertLayersBackbone(files, { outputLayer: options.outputLayer });
  mkdirSync(options.cacheDir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, onnx);
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
  return { path: file, converted: true };
}

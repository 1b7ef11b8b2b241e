/** ../shared/models/tflite-reference: TensorFlow Lite's own outputs on fixed 224x224 RGB inputs (its README.txt). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { topIndices } from '../../src/model/head-math.ts';
import type { TfliteImport } from '../../src/model/tflite/index.ts';

/**
 * The skip reason of a suite that needs the given .tflite files under `sharedModels` and tflite-reference.json, or
 * false; `runtimeMissing` (onnx-rig's ortMissing) goes first where the suite also needs ONNX Runtime.
 */
export function tfliteReferenceSkip(
  sharedModels: string,
  files: readonly string[],
  runtimeMissing: string | false = false,
): string | false {
  if (runtimeMissing) return runtimeMissing;
  const present =
    files.every((f) => existsSync(path.join(sharedModels, f))) &&
    existsSync(path.join(sharedModels, 'tflite-reference', 'tflite-reference.json'));
  return present ? false : 'needs ../shared/models (the two .tflite files and tflite-reference/) (absent)';
}

/** Every reference input, by file name (the key of tflite-reference.json's `photos`), sorted. */
export function referencePhotos(referenceDir: string): { name: string; pixels: Uint8Array }[] {
  return readdirSync(referenceDir)
    .filter((f) => f.endsWith('.rgb'))
    .sort()
    .map((name) => ({ name, pixels: new Uint8Array(readFileSync(path.join(referenceDir, name))) }));
}

/** The float input a quantized model's uint8 pixels stand for: (q - zeroPoint) * scale. */
export const dequantizedInput = (pixels: Uint8Array, zeroPoint: number, scale: number) =>
  Float32Array.from(pixels, (p) => (p - zeroPoint) * scale);

/** The float import's softmax over all 1001 outputs (background first), as TFLite's model computes it. */
export function fullProbabilities(
  imported: TfliteImport,
  embedding: Float32Array,
  logits: Float32Array,
): Float32Array {
  const bg = imported.source.background!;
  let background = bg.bias;
  for (let i = 0; i < embedding.length; i++) background += embedding[i]! * bg.kernel[i]!;
  return tf.tidy(() => tf.softmax(tf.tensor1d([background, ...logits])).dataSync() as Float32Array);
}

/** The largest |a - b| over the classes in either top five: how the reference checks compare two outputs. */
export function topFiveDisagreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (const i of new Set([...topIndices(a, 5), ...topIndices(b, 5)]))
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

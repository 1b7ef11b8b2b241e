/** Shared set-up of the ONNX converter tests: the runtime probe, the agreement measure and built layers models on disk. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../../src/model/model-config.ts';
import { loadOnnxRuntime } from '../../src/model/onnx/onnxruntime.ts';

/** false where onnxruntime-node loads, else the skip reason. */
export const ortMissing = await loadOnnxRuntime().then(
  () => false as const,
  (err: Error) => `needs onnxruntime-node (${err.message})`,
);

/**
 * Agreement measure: the largest |expected - actual| of an embedding divided by max(1, its largest |value|),
 * the measure select-engine's start-up check uses. Pure float32 rounding: the two engines sum in different
 * orders and ONNX has batch norm folded into the convolutions; tfjs's own cpu and wasm backends differ by
 * about as much (1.1e-5 absolute on MobileNet v1).
 */
export function relativeMaxDiff(expected: Float32Array, actual: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(expected[i]! - actual[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

/** Saves a tfjs layers model as model.json + weights.bin, the way tfjs-converter lays out a folder. */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
      const manifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }];
      writeFileSync(
        path.join(dir, 'model.json'),
        JSON.stringify({ modelTopology: artifacts.modelTopology, weightsManifest: manifest }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** The model config of a built layers model saved in `dir`, cut at `embeddingLayer`. */
export function layersConfig(id: string, dir: string, embeddingLayer: string, inputSize: number): ModelConfig {
  return {
    id,
    url: 'https://example.invalid/model.json',
    format: 'layers',
    inputSize,
    normalisation: { scale: 1 / 127.5, offset: -1 },
    resize: 'cover',
    embeddingLayer,
    classifier: { layer: 'unused' },
    labelsFile: 'labels.txt',
    dogClasses: { first: 0, last: 0 },
    configPath: path.join(dir, `${id}.model.json`),
  };
}

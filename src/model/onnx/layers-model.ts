import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { verifyModelDir, type ModelJson } from '../model-files.ts';

/** One Keras layer as a tfjs layers model.json describes it. */
export interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  /** [[[inboundLayerName, nodeIndex, tensorIndex, kwargs], ...], ...] */
  inbound_nodes: unknown[];
}

export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

/** A layers model read from disk: its layers, float32 weights by name, and a hash of both. */
export interface LayersModelFiles {
  layers: KerasLayer[];
  weights: Map<string, WeightTensor>;
  /** sha256 (hex) of model.json and every weight byte: changes whenever the network does. */
  contentHash: string;
}

/** The backbone cannot be expressed in ONNX by this converter; the caller should keep the tfjs backbone. */
export class OnnxConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxConversionError';
  }
}

function layersOf(model: ModelJson): KerasLayer[] {
  const topology = model.modelTopology as {
    model_config?: { class_name?: string; config?: { layers?: unknown } };
  };
  const modelConfig =
    topology.model_config ?? (topology as { class_name?: string; config?: { layers?: unknown } });
  if (modelConfig.class_name !== 'Model' && modelConfig.class_name !== 'Functional') {
    throw new OnnxConversionError(
      `the ONNX converter reads Keras functional models; this one is a '${modelConfig.class_name}'`,
    );
  }
  const layers = modelConfig.config?.layers;
  if (!Array.isArray(layers)) throw new OnnxConversionError('model.json has no layer list');
  return layers as KerasLayer[];
}

/** Reads a tfjs layers model folder (already verified complete) with all weights as float32. */
export async function readLayersModel(dir: string): Promise<LayersModelFiles> {
  const model = verifyModelDir(dir);
  const jsonBytes = await readFile(path.join(dir, 'model.json'));
  const hash = createHash('sha256').update(jsonBytes);
  const weights = new Map<string, WeightTensor>();

  for (const group of model.weightsManifest) {
    const parts = await Promise.all(group.paths.map((p) => readFile(path.join(dir, p))));
    const bytes = Buffer.concat(parts);
    hash.update(bytes);
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.dtype !== 'float32' || spec.quantization) {
        throw new OnnxConversionError(
          `weight ${spec.name} is ${spec.quantization ? `quantized (${spec.quantization.dtype})` : spec.dtype}; ` +
            'the ONNX converter reads float32 weights only',
        );
      }
      const count = spec.shape.reduce((a, b) => a * b, 1);
      // Copy: weight offsets inside a shard need not be 4-byte aligned for a Float32Array view.
      const data = new Float32Array(count);
      Buffer.from(data.buffer).set(bytes.subarray(offset, offset + count * 4));
      weights.set(spec.name, { shape: spec.shape, data });
      offset += count * 4;
    }
  }
  return { layers: layersOf(model), weights, contentHash: hash.digest('hex') };
}

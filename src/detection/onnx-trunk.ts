/**
 * DETECTOR_ENGINE: the detector's costly trunk on ONNX Runtime (converted once from the graph model by
 * centernet-to-onnx.ts and cached under models/cache/onnx/), its small decoding tail still in tfjs. The entry's
 * `onnxTrunk.outputs` names where the graph is cut; without it the detector runs in tfjs alone.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { Config } from '../config.ts';
import { cached } from '../model/onnx/onnx-cache.ts';
import { loadOnnxRuntime, ONNX_RUNTIME_PACKAGE } from '../model/onnx/onnxruntime.ts';
import { convertDetectorTrunk, TRUNK_CONVERTER_VERSION } from './centernet-to-onnx.ts';
import type { DetectorConfig } from './detector-config.ts';

export type DetectorEngineSetting = Config['DETECTOR_ENGINE'];

/** Computes the cut nodes' values for one letterboxed photo; the graph model takes it from there. */
export interface DetectorTrunk {
  readonly engine: string;
  run(pixels: Float32Array): Promise<Record<string, { data: Float32Array; shape: number[] }>>;
  dispose(): Promise<void>;
}

interface GraphJson {
  modelTopology: { node: { name: string; op: string }[] };
}

export async function loadOnnxTrunk(options: {
  config: DetectorConfig;
  model: tf.GraphModel;
  /** The graph model's model.json: read only when the trunk is not converted yet. */
  graphFile: string;
  cacheRoot: string;
}): Promise<DetectorTrunk> {
  const { config, model } = options;
  const outputs = config.onnxTrunk?.outputs;
  if (!outputs?.length) throw new Error(`the detector entry ${config.id} names no onnxTrunk cut`);
  const ort = await loadOnnxRuntime();
  const key = createHash('sha256')
    .update(`${config.sha256}\n${config.weights.map((w) => w.sha256).join(',')}\n${outputs.join(',')}\n`)
    .update(`trunk-converter-v${TRUNK_CONVERTER_VERSION}`)
    .digest('hex')
    .slice(0, 16);
  const file = path.join(options.cacheRoot, 'onnx', `${config.id}.trunk.${key}.onnx`);
  const onnxFile = cached(file, () => {
    const graph = JSON.parse(readFileSync(options.graphFile, 'utf8')) as GraphJson;
    const inputs = graph.modelTopology.node.filter((n) => n.op === 'Placeholder');
    if (inputs.length !== 1) throw new Error(`the detector graph has ${inputs.length} inputs, not one`);
    return convertDetectorTrunk({
      nodes: graph.modelTopology.node,
      weights: model.weights,
      inputNode: inputs[0]!.name,
      inputSize: config.inputSize,
      outputNodes: outputs,
    }).onnx;
  });
  // One thread: the detector is background work beside the serving engine (its worker thread is niced too).
  const session = await ort.InferenceSession.create(onnxFile.path, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
  });
  // The converter writes one output per cut node, in the entry's order.
  if (session.outputNames.length !== outputs.length)
    throw new Error(`the cached detector trunk ${onnxFile.path} has ${session.outputNames.length} outputs`);
  const side = config.inputSize;
  return {
    engine: ONNX_RUNTIME_PACKAGE,
    async run(pixels) {
      const result = await session.run({
        [session.inputNames[0]!]: new ort.Tensor('float32', pixels, [1, side, side, 3]),
      });
      return Object.fromEntries(
        outputs.map((node, i) => {
          const t = result[session.outputNames[i]!]!;
          return [node, { data: t.data as Float32Array, shape: [...t.dims] }];
        }),
      );
    },
    dispose: () => session.release(),
  };
}

export interface TrunkChoice {
  trunk?: DetectorTrunk;
  reason: string;
}

/** The ONNX trunk DETECTOR_ENGINE asks for: auto falls back to tfjs with the reason, onnx fails instead. */
export async function chooseTrunk(
  setting: DetectorEngineSetting,
  load: () => Promise<DetectorTrunk>,
): Promise<TrunkChoice> {
  if (setting === 'tfjs') return { reason: 'DETECTOR_ENGINE=tfjs' };
  try {
    return { trunk: await load(), reason: `DETECTOR_ENGINE=${setting}` };
  } catch (err) {
    if (setting === 'onnx') throw new Error(`DETECTOR_ENGINE=onnx cannot be used: ${(err as Error).message}`);
    return {
      reason: `ONNX Runtime cannot run the detector (${(err as Error).message}); tfjs runs all of it`,
    };
  }
}

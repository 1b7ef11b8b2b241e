import { rmSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../config.ts';
import { log } from '../../log.ts';
import type { ModelConfig, NetworkConfig } from '../model-config.ts';
import type { ModelInput } from '../types.ts';
import { embedInChunks } from '../input-batch.ts';
import { cachedOnnxBackbone, cachedQdqBackbone, type CachedOnnx } from './onnx-cache.ts';
import { readLayersModel } from './layers-model.ts';
import { loadOnnxRuntime, type OrtSession, type OrtSessionOptions } from './onnxruntime.ts';

export const ONNX_ENGINE = 'onnxruntime-node';

export interface OnnxBackboneOptions {
  /** Where converted .onnx files are kept; default models/cache/onnx. */
  cacheDir?: string;
  /** ONNX Runtime intra-op threads (default 2: this machine's cores). */
  threads?: number;
  /** Largest batch per session.run. */
  maxBatch?: number;
  /**
   * Whether ONNX Runtime's pool threads spin while they wait for work (ORT's own default; here default off).
   * Off, they sleep, leaving the cores to sharp's decoding and the serving thread between and within runs.
   */
  spinning?: boolean;
}

/** The session options loadOnnxBackbone opens every session with. */
export function onnxSessionOptions(
  options: Pick<OnnxBackboneOptions, 'threads' | 'spinning'>,
): OrtSessionOptions {
  const allowSpinning = options.spinning ? '1' : '0';
  return {
    intraOpNumThreads: options.threads ?? 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    extra: {
      session: { intra_op: { allow_spinning: allowSpinning }, inter_op: { allow_spinning: allowSpinning } },
    },
  };
}

/**
 * The frozen backbone run by ONNX Runtime: the same embeddings as the tfjs backbone (checked by the tests),
 * faster on CPU. Training stays in tfjs; this only embeds.
 */
export interface OnnxBackbone {
  engine: typeof ONNX_ENGINE;
  precision: OnnxPrecision;
  embeddingDim: number;
  inputSize: number;
  /** The cached .onnx file the session runs. */
  onnxPath: string;
  /**
   * Embeddings of preprocessed images (HWC, normalised, as for the tfjs backbone).
   * Note: onnxruntime-node runs the session synchronously on the calling thread (inside a setImmediate),
   * so a call blocks the event loop for its duration; put it in a worker thread to keep a gateway responsive.
   */
  embed(inputs: readonly ModelInput[]): Promise<Float32Array[]>;
  /**
   * One session run on a packed NHWC batch of `count` images; returns [count, embeddingDim] row-major.
   */
  embedFlat(batch: Float32Array, count: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export const defaultOnnxCacheDir = () => path.join(projectRoot, 'models', 'cache', 'onnx');

/** float: the dequantized import (what tfjs computes); int8: a uint8 .tflite file's own integer arithmetic. */
export type OnnxPrecision = 'float' | 'int8';

/**
 * Opens the ONNX file `convert` returns (converting on a cache miss) and checks it with one blank image. A cached
 * file that fails to open is converted again once; a freshly converted one that fails is an error.
 */
async function openCachedOnnxBackbone(
  convert: () => CachedOnnx,
  modelConfig: NetworkConfig,
  precision: OnnxPrecision,
  options: OnnxBackboneOptions = {},
): Promise<OnnxBackbone> {
  const ort = await loadOnnxRuntime();
  const size = modelConfig.inputSize;
  const pixels = size * size * 3;
  const maxBatch = options.maxBatch ?? 32;

  async function openSession(file: string) {
    const session = await ort.InferenceSession.create(file, onnxSessionOptions(options));
    try {
      // One blank image: checks the file end to end, learns the embedding size, and warms ORT's allocator.
      const probe = new ort.Tensor('float32', new Float32Array(pixels), [1, size, size, 3]);
      const out = (await session.run({ [session.inputNames[0]!]: probe }))[session.outputNames[0]!]!;
      return { session, embeddingDim: out.dims[1]! };
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  let cached = convert();
  let opened: { session: OrtSession; embeddingDim: number };
  try {
    opened = await openSession(cached.path);
  } catch (err) {
    if (cached.converted) throw err;
    log.warn(
      { onnx: cached.path, err: (err as Error).message },
      'cached ONNX backbone unusable; converting again',
    );
    rmSync(cached.path, { force: true });
    cached = convert();
    opened = await openSession(cached.path);
  }
  const { session, embeddingDim } = opened;
  if (modelConfig.embeddingDim !== undefined && modelConfig.embeddingDim !== embeddingDim) {
    await session.release();
    throw new Error(
      `the ONNX backbone's embedding has ${embeddingDim} values, the model config says ${modelConfig.embeddingDim}`,
    );
  }
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  log.info(
    {
      backbone: modelConfig.id,
      engine: ONNX_ENGINE,
      precision,
      onnx: cached.path,
      converted: cached.converted,
    },
    'onnx backbone loaded',
  );

  async function embedFlat(batch: Float32Array, count: number): Promise<Float32Array> {
    const feeds = { [inputName]: new ort.Tensor('float32', batch, [count, size, size, 3]) };
    const output = (await session.run(feeds))[outputName]!;
    const flat = (output.data as Float32Array).slice();
    output.dispose?.();
    return flat;
  }

  return {
    engine: ONNX_ENGINE,
    precision,
    embeddingDim,
    inputSize: size,
    onnxPath: cached.path,
    embed: (inputs) => embedInChunks(inputs, { size, dim: embeddingDim, maxBatch }, embedFlat),
    embedFlat,
    dispose: () => session.release(),
  };
}

/**
 * Loads the backbone of a tfjs layers model folder (cut at `modelConfig.embeddingLayer`) into ONNX Runtime,
 * converting it to ONNX on first use. Throws OnnxConversionError when the model has layers the converter
 * does not support, and a plain Error when onnxruntime-node is not installed: callers fall back to tfjs.
 */
export async function loadOnnxBackbone(
  modelDir: string,
  modelConfig: ModelConfig,
  options: OnnxBackboneOptions = {},
): Promise<OnnxBackbone> {
  // Any entry whose resolved folder is a layers model converts (a 'tflite' entry resolves to one); a graph
  // model has no Keras topology, and an entry without an embedding layer (an ensemble) is several networks.
  if (modelConfig.format === 'graph' || !('embeddingLayer' in modelConfig)) {
    throw new Error(
      `the ONNX backbone converts tfjs layers models; ${modelConfig.id} is a ${modelConfig.format} model`,
    );
  }
  await loadOnnxRuntime();
  const files = await readLayersModel(modelDir);
  const cacheOptions = {
    cacheDir: options.cacheDir ?? defaultOnnxCacheDir(),
    modelId: modelConfig.id,
    outputLayer: modelConfig.embeddingLayer,
  };
  return openCachedOnnxBackbone(() => cachedOnnxBackbone(files, cacheOptions), modelConfig, 'float', options);
}

/**
 * Loads a uint8 .tflite backbone into ONNX Runtime as its integer (QDQ) graph, converting it once
 * (tflite-to-qdq-onnx.ts). Same input and embedding as loadOnnxBackbone, within the file's quantization.
 */
export async function loadInt8OnnxBackbone(
  tfliteFile: string,
  modelConfig: ModelConfig,
  options: OnnxBackboneOptions = {},
): Promise<OnnxBackbone> {
  if (modelConfig.format !== 'tflite') {
    throw new Error(
      `the int8 ONNX backbone needs a TFLite entry; ${modelConfig.id} is a ${modelConfig.format} model`,
    );
  }
  await loadOnnxRuntime();
  const cacheOptions = { cacheDir: options.cacheDir ?? defaultOnnxCacheDir(), modelId: modelConfig.id };
  return openCachedOnnxBackbone(
    () => cachedQdqBackbone(tfliteFile, cacheOptions),
    modelConfig,
    'int8',
    options,
  );
}

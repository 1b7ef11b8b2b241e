import * as tf from '@tensorflow/tfjs';
import { log } from '../log.ts';
import { resolveBaseModel, type ResolvedBaseModel } from './base-model-source.ts';
import { loadClassLabels, type ClassLabels } from './imagenet-labels.ts';
import { embedInChunks } from './input-batch.ts';
import type { ModelConfig } from './model-config.ts';
import { fileModelHandler } from './model-files.ts';
import type { ModelInput } from './types.ts';

/** The dense classifier that follows the embedding in the pretrained model (ImageNet's, for MobileNet). */
export interface PretrainedClassifier {
  /** Row-major [embeddingDim, classes]. */
  kernel: Float32Array;
  bias: Float32Array;
  classes: number;
  labels: ClassLabels;
}

/** The frozen feature extractor: images in, embeddings out. Loaded once, shared by every head version. */
export interface Backbone {
  /** Model id from its config; embeddings are only comparable within one backbone id. */
  id: string;
  config: ModelConfig;
  embeddingDim: number;
  classifier: PretrainedClassifier;
  source: ResolvedBaseModel;
  /** Embeddings of preprocessed images, batched (at most `maxBatch` per backbone call). */
  embed(inputs: readonly ModelInput[]): Promise<Float32Array[]>;
  dispose(): void;
}

export interface LoadBackboneOptions {
  config: ModelConfig;
  /** BASE_MODEL */
  source: string;
  /** BASE_MODEL_MIRROR */
  mirror?: string;
  /** models/cache */
  cacheRoot: string;
  baseDir: string;
  maxBatch?: number;
}

/** Runs a model cut at the embedding; returns a [N, D] tensor the caller owns. */
type EmbeddingFn = (batch: tf.Tensor4D) => tf.Tensor;

interface LoadedNet {
  embedFn: EmbeddingFn;
  kernel: tf.Tensor;
  bias: tf.Tensor | undefined;
  dispose(): void;
}

async function loadLayersNet(dir: string, config: ModelConfig): Promise<LoadedNet> {
  const model = await tf.loadLayersModel(fileModelHandler(dir));
  const layerNames = () => model.layers.map((l) => l.name).join(', ');
  let embeddingLayer: tf.layers.Layer;
  try {
    embeddingLayer = model.getLayer(config.embeddingLayer);
  } catch {
    throw new Error(
      `embedding layer '${config.embeddingLayer}' is not in the model (layers: ${layerNames()})`,
    );
  }
  if (!('layer' in config.classifier)) {
    throw new Error(
      'a layers model names its classifier by "classifier": { "layer": ... } in the model config',
    );
  }
  let classifierLayer: tf.layers.Layer;
  try {
    classifierLayer = model.getLayer(config.classifier.layer);
  } catch {
    throw new Error(
      `classifier layer '${config.classifier.layer}' is not in the model (layers: ${layerNames()})`,
    );
  }
  const [kernel, bias] = classifierLayer.getWeights();
  if (!kernel) throw new Error(`classifier layer '${config.classifier.layer}' has no weights`);
  const embeddingModel = tf.model({
    inputs: model.inputs,
    outputs: embeddingLayer.output as tf.SymbolicTensor,
  });
  return {
    embedFn: (batch) => embeddingModel.predict(batch) as tf.Tensor,
    kernel,
    bias,
    dispose: () => model.dispose(),
  };
}

async function loadGraphNet(dir: string, config: ModelConfig): Promise<LoadedNet> {
  const model = await tf.loadGraphModel(fileModelHandler(dir));
  if (!('kernelWeight' in config.classifier)) {
    throw new Error(
      'a graph model names its classifier by "kernelWeight" and "biasWeight" in the model config',
    );
  }
  const weights = model.weights;
  const kernel = weights[config.classifier.kernelWeight]?.[0];
  const bias = weights[config.classifier.biasWeight]?.[0];
  if (!kernel || !bias) {
    throw new Error(
      `classifier weights '${config.classifier.kernelWeight}'/'${config.classifier.biasWeight}' are not in the graph`,
    );
  }
  return {
    embedFn: (batch) => model.execute(batch, config.embeddingLayer) as tf.Tensor,
    kernel,
    bias,
    dispose: () => model.dispose(),
  };
}

/**
 * Loads the pretrained model named by BASE_MODEL (folder, or URL downloaded into the cache), cuts it at
 * the configured embedding layer, and reads its classifier weights so the 1000 ImageNet logits can be
 * computed from an embedding without running the network twice.
 */
export async function loadBackbone(options: LoadBackboneOptions): Promise<Backbone> {
  const { config } = options;
  const source = await resolveBaseModel({
    source: options.source,
    ...(options.mirror ? { mirror: options.mirror } : {}),
    officialUrl: config.url,
    modelId: config.id,
    cacheRoot: options.cacheRoot,
    baseDir: options.baseDir,
  });

  let net: LoadedNet;
  try {
    net =
      config.format === 'layers'
        ? await loadLayersNet(source.dir, config)
        : await loadGraphNet(source.dir, config);
  } catch (err) {
    throw new Error(
      `The base model in ${source.dir} does not fit its config ${config.configPath}: ${(err as Error).message}`,
    );
  }

  const kernelShape = net.kernel.shape;
  const classes = kernelShape[kernelShape.length - 1]!;
  const embeddingDim = kernelShape[kernelShape.length - 2]!;
  const kernel = (await net.kernel.data()) as Float32Array; // [1,1,D,C] and [D,C] share one row-major layout
  const bias = net.bias ? ((await net.bias.data()) as Float32Array) : new Float32Array(classes);
  if (config.embeddingDim !== undefined && config.embeddingDim !== embeddingDim) {
    net.dispose();
    throw new Error(
      `the model's embedding has ${embeddingDim} values, its config says ${config.embeddingDim}`,
    );
  }
  if (config.dogClasses.last >= classes) {
    net.dispose();
    throw new Error(
      `dogClasses.last=${config.dogClasses.last} but the classifier has only ${classes} classes`,
    );
  }
  const labels = loadClassLabels(source.dir, config, classes);
  const size = config.inputSize;
  const maxBatch = options.maxBatch ?? 32;

  async function embedFlat(batch: Float32Array, count: number): Promise<Float32Array> {
    const out = tf.tidy(() => {
      const y = net.embedFn(tf.tensor4d(batch, [count, size, size, 3]));
      return y.reshape([count, embeddingDim]);
    });
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  log.info(
    { backbone: config.id, origin: source.origin, dir: source.dir, embeddingDim, classes },
    'backbone loaded',
  );
  return {
    id: config.id,
    config,
    embeddingDim,
    classifier: { kernel, bias, classes, labels },
    source,
    embed: (inputs) => embedInChunks(inputs, { size, dim: embeddingDim, maxBatch }, embedFlat),
    dispose: () => net.dispose(),
  };
}

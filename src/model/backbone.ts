import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { log } from '../log.ts';
import { resolveBaseModel, type ResolvedBaseModel } from './base-model-source.ts';
import { withFlipAverage, type EmbedFn } from './embedding-transforms.ts';
import { averagedClassifier, concatenatedEmbed } from './ensemble.ts';
import { loadClassLabels, type ClassLabels } from './imagenet-labels.ts';
import { embedInChunks } from './input-batch.ts';
import {
  embeddingIdOf,
  loadEnsembleMembers,
  type EnsembleConfig,
  type ModelConfig,
  type NetworkConfig,
} from './model-config.ts';
import { fileModelHandler } from './model-files.ts';
import { resolveTfliteModel } from './tflite-source.ts';
import { tfliteSourceOf } from './tflite/index.ts';
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
  /** The embedding's id (the config's id, `+flip` with flip averaging); embeddings are only comparable within one id. */
  id: string;
  config: ModelConfig;
  embeddingDim: number;
  classifier: PretrainedClassifier;
  /** Where the network's files are; for an ensemble, the folder of its entry (see `members`). */
  source: ResolvedBaseModel;
  /** An ensemble's member networks, in embedding order. */
  members?: readonly Backbone[];
  /** Embeddings of preprocessed images, batched (at most `maxBatch` per backbone call). */
  embed(inputs: readonly ModelInput[]): Promise<Float32Array[]>;
  dispose(): void;
}

export interface LoadBackboneOptions {
  config: ModelConfig;
  /** BASE_MODEL: default the entry's official URL. */
  source?: string;
  /** BASE_MODEL_MIRROR: default the entry's mirror. */
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

async function loadLayersNet(dir: string, config: NetworkConfig): Promise<LoadedNet> {
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

async function loadGraphNet(dir: string, config: NetworkConfig): Promise<LoadedNet> {
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

/** BASE_MODEL (or the entry's official URL) as a local folder of tfjs model files, downloading or converting once. */
export async function resolveBackboneFiles(
  config: NetworkConfig,
  options: Omit<LoadBackboneOptions, 'config' | 'maxBatch'>,
): Promise<ResolvedBaseModel> {
  const source = options.source ?? config.url;
  const mirror = options.mirror ?? config.mirror;
  const common = {
    source,
    cacheRoot: options.cacheRoot,
    baseDir: options.baseDir,
    ...(mirror ? { mirror } : {}),
  };
  if (config.format === 'tflite') return resolveTfliteModel({ ...common, config });
  return resolveBaseModel({ ...common, officialUrl: config.url, modelId: config.id });
}

/** A TFLite file's input quantization fixes the normalisation; an entry that disagrees would feed it wrong values. */
function checkTfliteNormalisation(dir: string, config: NetworkConfig): void {
  const input = tfliteSourceOf(dir)?.input;
  if (!input) return;
  const expected = { scale: input.scale, offset: -input.zeroPoint * input.scale };
  const { scale, offset } = config.normalisation;
  if (Math.abs(scale - expected.scale) > 1e-6 || Math.abs(offset - expected.offset) > 1e-5) {
    throw new Error(
      `the file's input quantization means normalisation { "scale": ${expected.scale}, "offset": ${expected.offset} }, ` +
        `the config says { "scale": ${scale}, "offset": ${offset} }`,
    );
  }
}

async function loadNetworkBackbone(config: NetworkConfig, options: LoadBackboneOptions): Promise<Backbone> {
  const source = await resolveBackboneFiles(config, options);
  let net: LoadedNet;
  try {
    if (config.format === 'tflite') checkTfliteNormalisation(source.dir, config);
    net =
      config.format === 'graph'
        ? await loadGraphNet(source.dir, config)
        : await loadLayersNet(source.dir, config);
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
  const embed: EmbedFn = (inputs) => embedInChunks(inputs, { size, dim: embeddingDim, maxBatch }, embedFlat);

  log.info(
    { backbone: config.id, origin: source.origin, dir: source.dir, embeddingDim, classes },
    'backbone loaded',
  );
  return {
    id: embeddingIdOf(config),
    config,
    embeddingDim,
    classifier: { kernel, bias, classes, labels },
    source,
    embed: config.flipAverage ? withFlipAverage(embed) : embed,
    dispose: () => net.dispose(),
  };
}

async function loadEnsembleBackbone(config: EnsembleConfig, options: LoadBackboneOptions): Promise<Backbone> {
  const memberConfigs = loadEnsembleMembers(config);
  const members: Backbone[] = [];
  try {
    for (const member of memberConfigs) {
      // Members embed unflipped: the ensemble flips (or not) as a whole.
      const { source: _source, mirror: _mirror, ...shared } = options;
      members.push(await loadNetworkBackbone({ ...member, flipAverage: false }, shared));
    }
  } catch (err) {
    members.forEach((m) => m.dispose());
    throw err;
  }
  const ids = members.map((m) => m.config.id);
  const classifier = averagedClassifier(
    members.map((m) => m.classifier),
    ids,
  );
  const embeddingDim = members.reduce((sum, m) => sum + m.embeddingDim, 0);
  const labels = loadClassLabels(path.dirname(config.configPath), config, classifier.classes);
  const embed = concatenatedEmbed(
    members.map((m) => ({
      id: m.id,
      embeddingDim: m.embeddingDim,
      normalisation: m.config.normalisation,
      embed: m.embed,
    })),
    config.normalisation,
  );
  log.info({ backbone: config.id, members: ids, embeddingDim }, 'ensemble backbone loaded');
  return {
    id: embeddingIdOf(config),
    config,
    embeddingDim,
    classifier: { ...classifier, labels },
    source: { dir: path.dirname(config.configPath), origin: 'local', source: ids.join('+') },
    members,
    embed: config.flipAverage ? withFlipAverage(embed) : embed,
    dispose: () => members.forEach((m) => m.dispose()),
  };
}

/**
 * Loads the backbone an entry describes (BASE_MODEL overrides where a single network's files come from), cuts
 * it at the configured embedding layer, and reads its classifier weights so the 1000 ImageNet logits can be
 * computed from an embedding without running the network twice. An ensemble loads each member.
 */
export async function loadBackbone(options: LoadBackboneOptions): Promise<Backbone> {
  const { config } = options;
  return config.format === 'ensemble'
    ? loadEnsembleBackbone(config, options)
    : loadNetworkBackbone(config, options);
}

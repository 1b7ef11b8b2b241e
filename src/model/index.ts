import path from 'node:path';
import type { Config } from '../config.ts';
import { projectRoot } from '../config.ts';
import { selectBackend, type BackendChoice } from './backend.ts';
import { loadBackbone, type Backbone } from './backbone.ts';
import { BreedClassifier, baseHeadOf, baseVersionOf, type ClassifierOptions } from './classifier.ts';
import { batchedEngine, type BatchedEngine } from './inference/batched-engine.ts';
import {
  selectEmbeddingEngine,
  type EmbedEngineSetting,
  type EngineSelection,
} from './inference/select-engine.ts';
import { imageSpecOf, loadModelConfig, type ImageSpec, type ModelConfig } from './model-config.ts';
import { loadHeadVersion } from './registry.ts';
import type { BreedHead } from './types.ts';

export { selectBackend, type BackendChoice, type BackendName } from './backend.ts';
export { loadBackbone, type Backbone } from './backbone.ts';
export { BaseModelError, resolveBaseModel } from './base-model-source.ts';
export { breedNames, readableBreedName, type BreedName } from './breed-names.ts';
export { BreedClassifier, baseHeadOf, baseVersionOf, DEFAULT_DOG_THRESHOLD } from './classifier.ts';
export { headProbabilities, topBreeds } from './head.ts';
export { readHeadFiles, HEAD_FORMAT, type HeadVersion } from './head-file.ts';
export { imageSpecOf, loadModelConfig, type ImageSpec, type ModelConfig } from './model-config.ts';
export { BusyError, MicroBatcher } from './inference/batcher.ts';
export type { EmbeddingEngine, EngineKind } from './inference/engine.ts';
export { EngineClosedError } from './inference/worker-engine.ts';
export type { EmbedEngineSetting } from './inference/select-engine.ts';

export interface ClassifierRuntime {
  backend: BackendChoice;
  backbone: Backbone;
  modelConfig: ModelConfig;
  /** What src/images must produce for this backbone. */
  imageSpec: ImageSpec;
  baseHead: BreedHead;
  baseVersion: string;
  /**
   * Serves the base head; use `classifier.withHead(...)` for a trained version (it keeps the engine).
   * Its embed/classify calls go through `engine`: concurrent calls are micro-batched and computed off the
   * main thread (unless EMBED_ENGINE=inprocess).
   */
  classifier: BreedClassifier;
  /** The serving embedding engine: micro-batching over worker threads (tfjs or ONNX Runtime) or in-process. */
  engine: BatchedEngine;
  /** How EMBED_ENGINE was resolved (e.g. why auto fell back from ONNX Runtime to tfjs workers). */
  engineSelection: Omit<EngineSelection, 'engine'>;
  /** What computes the embeddings, for logs and /model: e.g. 'onnxruntime-node' or 'wasm'. */
  servingBackend: string;
  /** Frees the backbone and stops the engine's workers without waiting (see close()). */
  dispose(): void;
  /** Lets requests already accepted finish, then stops the workers and frees the backbone. */
  close(): Promise<void>;
}

type RuntimeConfig = Pick<
  Config,
  'BASE_MODEL' | 'BASE_MODEL_MIRROR' | 'TF_BACKEND' | 'modelsDir' | 'baseModelConfigPath'
> &
  Partial<
    Pick<
      Config,
      'DOG_THRESHOLD' | 'EMBED_ENGINE' | 'EMBED_WORKERS' | 'BATCH_MAX' | 'BATCH_WAIT_MS' | 'BATCH_QUEUE_LIMIT'
    >
  >;

export interface RuntimeOptions extends Omit<ClassifierOptions, 'engine'> {
  /** Overrides config.EMBED_ENGINE. */
  embedEngine?: EmbedEngineSetting;
}

/** Everything the bot and the CLI need to classify: backend chosen, backbone loaded, base head built. */
export async function loadClassifierRuntime(
  config: RuntimeConfig,
  options: RuntimeOptions = {},
): Promise<ClassifierRuntime> {
  const backend = await selectBackend(config.TF_BACKEND);
  const modelConfig = loadModelConfig(config.baseModelConfigPath);
  const backbone = await loadBackbone({
    config: modelConfig,
    source: config.BASE_MODEL,
    mirror: config.BASE_MODEL_MIRROR,
    cacheRoot: path.join(config.modelsDir, 'cache'),
    baseDir: projectRoot,
  });
  const baseHead = baseHeadOf(backbone);
  const baseVersion = baseVersionOf(backbone);
  const { embedEngine, ...classifierOptions } = options;
  let selection: EngineSelection;
  try {
    selection = await selectEmbeddingEngine({
      setting: embedEngine ?? config.EMBED_ENGINE ?? 'auto',
      backbone,
      backendName: backend.name,
      modelConfigPath: config.baseModelConfigPath,
      ...(config.EMBED_WORKERS ? { workers: config.EMBED_WORKERS } : {}),
    });
  } catch (err) {
    backbone.dispose();
    throw err;
  }
  const { engine: inner, ...engineSelection } = selection;
  const engine = batchedEngine(inner, {
    ...(config.BATCH_MAX === undefined ? {} : { maxBatch: config.BATCH_MAX }),
    ...(config.BATCH_WAIT_MS === undefined ? {} : { maxWaitMs: config.BATCH_WAIT_MS }),
    ...(config.BATCH_QUEUE_LIMIT === undefined ? {} : { maxQueue: config.BATCH_QUEUE_LIMIT }),
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await engine.dispose();
    backbone.dispose();
  };
  return {
    backend,
    backbone,
    modelConfig,
    imageSpec: imageSpecOf(modelConfig),
    baseHead,
    baseVersion,
    classifier: new BreedClassifier(backbone, baseHead, baseVersion, {
      ...(config.DOG_THRESHOLD === undefined ? {} : { dogThreshold: config.DOG_THRESHOLD }),
      ...classifierOptions,
      engine,
    }),
    engine,
    engineSelection,
    servingBackend: inner.backendName,
    dispose: () => {
      if (closed) return;
      closed = true;
      void inner.dispose();
      backbone.dispose();
    },
    close,
  };
}

/**
 * A classifier for `versionOrDir` (a version id from the registry, a folder with head.json, or the base
 * version id / "base") over the runtime's already loaded backbone.
 */
export async function classifierForVersion(
  runtime: ClassifierRuntime,
  versionOrDir: string,
  modelsDir: string,
): Promise<BreedClassifier> {
  if (versionOrDir === 'base' || versionOrDir === runtime.baseVersion) return runtime.classifier;
  const loaded = await loadHeadVersion(modelsDir, versionOrDir);
  if (loaded.backboneId !== runtime.backbone.id) {
    throw new Error(
      `Model version ${loaded.version} was trained on backbone ${loaded.backboneId}, ` +
        `but the loaded backbone is ${runtime.backbone.id}.`,
    );
  }
  return runtime.classifier.withHead(loaded.head, loaded.version);
}

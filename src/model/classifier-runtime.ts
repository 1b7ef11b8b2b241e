import path from 'node:path';
import type { Config } from '../config.ts';
import { projectRoot } from '../config.ts';
import { selectBackend, type BackendChoice, type BackendName } from './backend.ts';
import { loadBackbone, type Backbone } from './backbone.ts';
import {
  BreedClassifier,
  SharedOwnership,
  baseHeadOf,
  baseVersionOf,
  type ClassifierOptions,
} from './classifier.ts';
import { batchedEngine, type BatchedEngine, type BatchingOptions } from './inference/batched-engine.ts';
import {
  selectEmbeddingEngine,
  type EmbedEngineSetting,
  type EngineSelection,
} from './inference/select-engine.ts';
import type { OnnxPrecisionSetting } from './onnx/onnx-precision.ts';
import { imageSpecOf, loadModelConfig, type ImageSpec, type ModelConfig } from './model-config.ts';
import type { BreedHead } from './types.ts';

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
   * main thread (unless EMBED_ENGINE=inprocess). It owns nothing: the runtime frees backbone and engine.
   */
  classifier: BreedClassifier;
  /** The serving embedding engine: micro-batching over worker threads (tfjs or ONNX Runtime) or in-process. */
  engine: BatchedEngine;
  /** How EMBED_ENGINE was resolved (e.g. why auto fell back from ONNX Runtime to tfjs workers). */
  engineSelection: Omit<EngineSelection, 'engine'>;
  /** What computes the embeddings, for logs and /model: e.g. 'onnxruntime-node', 'onnxruntime-node int8' or 'wasm'. */
  servingBackend: string;
  /**
   * Starts another serving engine over `backbone` (a fine-tuned one), configured like `engine`: same
   * EMBED_ENGINE setting, workers and batching. The caller disposes it.
   */
  startEngine(backbone: Backbone): Promise<BatchedEngine>;
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
      | 'DOG_THRESHOLD'
      | 'EMBED_ENGINE'
      | 'EMBED_WORKERS'
      | 'ONNX_THREADS'
      | 'ONNX_SPINNING'
      | 'ONNX_PRECISION'
      | 'BATCH_MAX'
      | 'BATCH_WAIT_MS'
      | 'BATCH_QUEUE_LIMIT'
    >
  >;

export interface RuntimeOptions extends Omit<ClassifierOptions, 'engine' | 'ownership'> {
  /** Overrides config.EMBED_ENGINE. */
  embedEngine?: EmbedEngineSetting;
}

/** Everything that decides how a serving engine is built, whichever backbone it serves. */
interface EngineSettings {
  setting: EmbedEngineSetting;
  backendName: BackendName;
  modelConfigPath: string;
  workers?: number;
  onnxThreads?: number;
  onnxSpinning?: boolean;
  onnxPrecision?: OnnxPrecisionSetting;
  batching: Partial<BatchingOptions>;
}

/** Picks the engine EMBED_ENGINE asks for over `backbone` and puts the micro-batcher in front of it. */
async function startServingEngine(
  backbone: Backbone,
  settings: EngineSettings,
): Promise<{ engine: BatchedEngine; selection: Omit<EngineSelection, 'engine'> }> {
  const { engine: inner, ...selection } = await selectEmbeddingEngine({
    setting: settings.setting,
    backbone,
    backendName: settings.backendName,
    modelConfigPath: settings.modelConfigPath,
    ...(settings.workers ? { workers: settings.workers } : {}),
    ...(settings.onnxThreads ? { onnxThreads: settings.onnxThreads } : {}),
    ...(settings.onnxSpinning === undefined ? {} : { onnxSpinning: settings.onnxSpinning }),
    ...(settings.onnxPrecision ? { onnxPrecision: settings.onnxPrecision } : {}),
  });
  return { engine: batchedEngine(inner, settings.batching), selection };
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
  const engineSettings: EngineSettings = {
    setting: embedEngine ?? config.EMBED_ENGINE ?? 'auto',
    backendName: backend.name,
    modelConfigPath: config.baseModelConfigPath,
    ...(config.EMBED_WORKERS ? { workers: config.EMBED_WORKERS } : {}),
    ...(config.ONNX_THREADS ? { onnxThreads: config.ONNX_THREADS } : {}),
    ...(config.ONNX_SPINNING === undefined ? {} : { onnxSpinning: config.ONNX_SPINNING }),
    ...(config.ONNX_PRECISION ? { onnxPrecision: config.ONNX_PRECISION } : {}),
    batching: {
      ...(config.BATCH_MAX === undefined ? {} : { maxBatch: config.BATCH_MAX }),
      ...(config.BATCH_WAIT_MS === undefined ? {} : { maxWaitMs: config.BATCH_WAIT_MS }),
      ...(config.BATCH_QUEUE_LIMIT === undefined ? {} : { maxQueue: config.BATCH_QUEUE_LIMIT }),
    },
  };
  let serving: Awaited<ReturnType<typeof startServingEngine>>;
  try {
    serving = await startServingEngine(backbone, engineSettings);
  } catch (err) {
    backbone.dispose();
    throw err;
  }
  const { engine, selection: engineSelection } = serving;
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
    servingBackend: engine.backendName,
    // Each backbone's workers read its own entry (another entry after a backbone switch).
    startEngine: async (other) =>
      (await startServingEngine(other, { ...engineSettings, modelConfigPath: other.config.configPath }))
        .engine,
    dispose: () => {
      if (closed) return;
      closed = true;
      void engine.inner.dispose();
      backbone.dispose();
    },
    close,
  };
}

/** A classifier that owns `backbone` and its engine: the last classifier sharing them frees both. */
export function ownedClassifier(
  runtime: ClassifierRuntime,
  { backbone, engine }: { backbone: Backbone; engine: BatchedEngine },
  head: BreedHead,
  version: string,
): BreedClassifier {
  return new BreedClassifier(backbone, head, version, {
    dogThreshold: runtime.classifier.dogThreshold,
    engine,
    ownership: new SharedOwnership(async () => {
      await engine.dispose();
      backbone.dispose();
    }),
  });
}

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
import { fineTunedBackboneDir, parseBackboneId } from './fine-tuned-backbone.ts';
import { batchedEngine, type BatchedEngine, type BatchingOptions } from './inference/batched-engine.ts';
import {
  selectEmbeddingEngine,
  type EmbedEngineSetting,
  type EngineSelection,
} from './inference/select-engine.ts';
import {
  embeddingIdOf,
  imageSpecOf,
  loadModelConfig,
  modelConfigPathFor,
  type ImageSpec,
  type ModelConfig,
} from './model-config.ts';
import { verifyModelDir } from './model-files.ts';
import { log } from '../log.ts';
import { isBaseVersion, loadHeadVersion, VERSION_BACKBONE_FOLDER } from './registry.ts';
import type { BreedHead } from './types.ts';

export { selectBackend, type BackendChoice, type BackendName } from './backend.ts';
export { loadBackbone, type Backbone } from './backbone.ts';
export { BaseModelError, resolveBaseModel } from './base-model-source.ts';
export { breedNames, readableBreedName, type BreedName } from './breed-names.ts';
export { BreedClassifier, baseHeadOf, baseVersionOf, DEFAULT_DOG_THRESHOLD } from './classifier.ts';
export { fineTunedBackboneDir, fineTunedBackboneId, parseBackboneId } from './fine-tuned-backbone.ts';
export { headProbabilities, topBreeds } from './head-math.ts';
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
   * main thread (unless EMBED_ENGINE=inprocess). It owns nothing: the runtime frees backbone and engine.
   */
  classifier: BreedClassifier;
  /** The serving embedding engine: micro-batching over worker threads (tfjs or ONNX Runtime) or in-process. */
  engine: BatchedEngine;
  /** How EMBED_ENGINE was resolved (e.g. why auto fell back from ONNX Runtime to tfjs workers). */
  engineSelection: Omit<EngineSelection, 'engine'>;
  /** What computes the embeddings, for logs and /model: e.g. 'onnxruntime-node' or 'wasm'. */
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

/**
 * A classifier for `versionOrDir` (a version id from the registry, a folder with head.json, or the base
 * version id / "base"):
 *   - a head trained on the runtime's base backbone runs on it (nothing is loaded);
 *   - a head trained on `current`'s backbone (the serving classifier's, e.g. a fine-tuned one) shares it;
 *   - a head trained on a fine-tuned backbone of the base loads that backbone from its version folder and starts
 *     an engine for it: the classifier returned owns both, and its `release()` frees them;
 *   - a head trained on another backbone entry (a backbone switch) loads that entry from beside the runtime's
 *     own models/<id>.model.json and starts an engine for it, owned the same way.
 */
export async function classifierForVersion(
  runtime: ClassifierRuntime,
  versionOrDir: string,
  modelsDir: string,
  current?: BreedClassifier,
): Promise<BreedClassifier> {
  if (versionOrDir === 'base' || versionOrDir === runtime.baseVersion) return runtime.classifier;
  const loaded = await loadHeadVersion(modelsDir, versionOrDir);
  if (loaded.backboneId === runtime.backbone.id)
    return runtime.classifier.withHead(loaded.head, loaded.version);
  if (current && loaded.backboneId === current.backbone.id)
    return current.withHead(loaded.head, loaded.version);
  const fineTuned = fineTunedVersionOf(loaded.backboneId);
  if (fineTuned === null) {
    const other = await startEntryBackbone(runtime, loaded.backboneId, modelsDir).catch((err: unknown) => {
      throw new Error(
        `Model version ${loaded.version} was trained on backbone ${loaded.backboneId}, which cannot be loaded: ` +
          (err as Error).message,
        { cause: err },
      );
    });
    return ownedClassifier(runtime, other, loaded.head, loaded.version);
  }
  // After a backbone switch the serving backbone, not the runtime's, may be the one that was fine-tuned.
  const base = [runtime.backbone, current?.backbone].find((b) => b?.id === fineTuned.baseId);
  if (!base) {
    throw new Error(
      `Model version ${loaded.version} was trained on backbone ${loaded.backboneId}, ` +
        `but the loaded backbone is ${runtime.backbone.id}.`,
    );
  }
  // The version that brought the backbone may be a folder outside MODELS_DIR; its children name it by id.
  const backboneDir =
    fineTuned.version === loaded.version
      ? path.join(loaded.dir, VERSION_BACKBONE_FOLDER)
      : fineTunedBackboneDir(modelsDir, fineTuned.version);
  const { backbone, engine } = await startFineTunedBackbone(
    runtime,
    base,
    loaded.backboneId,
    backboneDir,
    modelsDir,
  ).catch((err: unknown) => {
    throw new Error(
      `Model version ${loaded.version} needs the fine-tuned backbone ${loaded.backboneId} from ${backboneDir}, ` +
        `which cannot be used: ${(err as Error).message}`,
      { cause: err },
    );
  });
  return ownedClassifier(runtime, { backbone, engine }, loaded.head, loaded.version);
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

/**
 * The entry file a restart must load so that the active version serves on its own backbone (after a backbone
 * switch it differs from BACKBONE's), or null when BACKBONE's entry is the right one or the version cannot be read
 * (the caller then serves what it can and logs why).
 */
export async function entryOfActiveVersion(
  config: Pick<Config, 'modelsDir' | 'baseModelConfigPath'>,
  activeVersion: string | null,
): Promise<string | null> {
  if (activeVersion === null || activeVersion === 'base' || isBaseVersion(activeVersion)) return null;
  try {
    const { backboneId } = await loadHeadVersion(config.modelsDir, activeVersion);
    const entry = backboneEntryPath(config.baseModelConfigPath, backboneId);
    return path.resolve(entry) === path.resolve(config.baseModelConfigPath) ? null : entry;
  } catch (err) {
    log.warn({ err, activeVersion }, 'could not tell which backbone the active version needs');
    return null;
  }
}

const FLIP_SUFFIX = '+flip';

/** The models/<id>.model.json entry a backbone id comes from (a fine-tuned backbone's base, without "+flip"). */
export function backboneEntryId(backboneId: string): string {
  const { baseId } = parseBackboneId(backboneId);
  return baseId.endsWith(FLIP_SUFFIX) ? baseId.slice(0, -FLIP_SUFFIX.length) : baseId;
}

/**
 * The entry file of `backboneId`, beside `entryPath` (the runtime's own entry). Throws when there is none, or
 * when it makes embeddings under another id (e.g. its flipAverage setting changed since).
 */
export function backboneEntryPath(entryPath: string, backboneId: string): string {
  const file = modelConfigPathFor(path.dirname(entryPath), backboneEntryId(backboneId));
  const made = embeddingIdOf(loadModelConfig(file));
  const { baseId } = parseBackboneId(backboneId);
  if (made !== baseId) throw new Error(`${file} now makes embeddings of backbone ${made}, not ${baseId}`);
  return file;
}

/** Loads another backbone entry (its files downloaded or converted once, like any BACKBONE) and its engine. */
export async function startEntryBackbone(
  runtime: ClassifierRuntime,
  backboneId: string,
  modelsDir: string,
): Promise<{ backbone: Backbone; engine: BatchedEngine }> {
  const config = loadModelConfig(backboneEntryPath(runtime.modelConfig.configPath, backboneId));
  const backbone = await loadBackbone({
    config,
    cacheRoot: path.join(modelsDir, 'cache'),
    baseDir: projectRoot,
  });
  try {
    return { backbone, engine: await runtime.startEngine(backbone) };
  } catch (err) {
    backbone.dispose();
    throw err;
  }
}

/** The base id and version of a fine-tuned backbone id; null for any other id (a malformed one included). */
function fineTunedVersionOf(backboneId: string): { baseId: string; version: string } | null {
  try {
    const { baseId, version } = parseBackboneId(backboneId);
    return version === null ? null : { baseId, version };
  } catch {
    return null;
  }
}

/** Loads a fine-tuned backbone folder (labels still come from beside its base's entry) and its engine. */
async function startFineTunedBackbone(
  runtime: ClassifierRuntime,
  base: Backbone,
  backboneId: string,
  dir: string,
  modelsDir: string,
): Promise<{ backbone: Backbone; engine: BatchedEngine }> {
  // Checked here so a missing or partial folder reads as what it is, not as advice about BASE_MODEL.
  verifyModelDir(dir);
  const backbone = await loadBackbone({
    config: { ...base.config, id: backboneId },
    source: dir,
    cacheRoot: path.join(modelsDir, 'cache'),
    baseDir: projectRoot,
  });
  try {
    if (backbone.embeddingDim !== base.embeddingDim) {
      throw new Error(
        `its embedding has ${backbone.embeddingDim} values, the base backbone's ${base.embeddingDim}`,
      );
    }
    return { backbone, engine: await runtime.startEngine(backbone) };
  } catch (err) {
    backbone.dispose();
    throw err;
  }
}

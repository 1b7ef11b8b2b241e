import path from 'node:path';
import type { Config } from '../config.ts';
import { projectRoot } from '../config.ts';
import { selectBackend, type BackendChoice } from './backend.ts';
import { loadBackbone, type Backbone } from './backbone.ts';
import { BreedClassifier, baseHeadOf, baseVersionOf, type ClassifierOptions } from './classifier.ts';
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

export interface ClassifierRuntime {
  backend: BackendChoice;
  backbone: Backbone;
  modelConfig: ModelConfig;
  /** What src/images must produce for this backbone. */
  imageSpec: ImageSpec;
  baseHead: BreedHead;
  baseVersion: string;
  /** Serves the base head; use `classifier.withHead(...)` for a trained version. */
  classifier: BreedClassifier;
  dispose(): void;
}

type RuntimeConfig = Pick<
  Config,
  'BASE_MODEL' | 'BASE_MODEL_MIRROR' | 'TF_BACKEND' | 'modelsDir' | 'baseModelConfigPath'
> &
  Partial<Pick<Config, 'DOG_THRESHOLD'>>;

/** Everything the bot and the CLI need to classify: backend chosen, backbone loaded, base head built. */
export async function loadClassifierRuntime(
  config: RuntimeConfig,
  options: ClassifierOptions = {},
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
  return {
    backend,
    backbone,
    modelConfig,
    imageSpec: imageSpecOf(modelConfig),
    baseHead,
    baseVersion,
    classifier: new BreedClassifier(backbone, baseHead, baseVersion, {
      ...(config.DOG_THRESHOLD === undefined ? {} : { dogThreshold: config.DOG_THRESHOLD }),
      ...options,
    }),
    dispose: () => backbone.dispose(),
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

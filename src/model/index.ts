/**
 * The model package's public surface. The classifier runtime (backend, backbone, engine, base head) is built in
 * classifier-runtime.ts; a classifier for a stored version (its own backbone when it needs one) in
 * version-classifier.ts.
 */
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
export {
  loadClassifierRuntime,
  ownedClassifier,
  type ClassifierRuntime,
  type RuntimeOptions,
} from './classifier-runtime.ts';
export type { ServingModel } from './serving-model.ts';
export {
  backboneEntryId,
  backboneEntryPath,
  classifierForVersion,
  entryOfActiveVersion,
  startEntryBackbone,
} from './version-classifier.ts';

import path from 'node:path';
import type { Config } from '../config.ts';
import { projectRoot } from '../config.ts';
import { log } from '../log.ts';
import { loadBackbone, type Backbone } from './backbone.ts';
import type { BreedClassifier } from './classifier.ts';
import { ownedClassifier, type ClassifierRuntime } from './classifier-runtime.ts';
import { fineTunedBackboneDir, parseBackboneId } from './fine-tuned-backbone.ts';
import type { BatchedEngine } from './inference/batched-engine.ts';
import { embeddingIdOf, loadModelConfig, modelConfigPathFor } from './model-config.ts';
import { verifyModelDir } from './model-files.ts';
import { isBaseVersion, loadHeadVersion, VERSION_BACKBONE_FOLDER } from './registry.ts';

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

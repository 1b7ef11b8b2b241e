/**
 * Serving an earlier version again: a rollback asked for here, or the version the database names (a rollback
 * made with `npm run model -- rollback`, or a promotion by another host sharing the database).
 */
import { log } from '../log.ts';
import type { BreedClassifier } from '../model/classifier.ts';
import { classifierForVersion } from '../model/index.ts';
import { isBaseVersion } from '../model/registry.ts';
import { UserFacingError } from '../refusals.ts';
import {
  activeModelVersion,
  getModelVersion,
  passedItsChecks,
  retireActiveVersion,
} from '../storage/model-versions.ts';
import type { LearningLoopOptions } from './loop-types.ts';
import { activateVersion } from './promotion.ts';

/**
 * Serves an earlier version again (or the base head: its id or "base"). Only versions that passed their
 * checks once (active or retired) qualify; a rejected candidate never serves.
 */
export async function rollbackTo(
  options: LearningLoopOptions,
  version: string,
  requestedBy: string,
): Promise<{ activeVersion: string }> {
  const { db, model, modelsDir } = options;
  const { runtime, holder } = model;
  const target = version.trim();
  if (target === 'base' || target === runtime.baseVersion) {
    await retireActiveVersion(db, `rolled back to the base model by ${requestedBy}`);
    await holder.swap(runtime.classifier, runtime.baseVersion);
    return { activeVersion: runtime.baseVersion };
  }
  if (isBaseVersion(target))
    throw new UserFacingError('not-found', `There is no base model called ${target}.`);
  const record = await getModelVersion(db, target);
  if (!record) throw new UserFacingError('not-found', `There is no model version ${target}.`);
  if (!passedItsChecks(record)) {
    throw new UserFacingError(
      'bad-argument',
      `Version ${target} never passed its checks (${record.status}), so it cannot serve.`,
    );
  }
  if (record.status === 'active' && holder.version === target) return { activeVersion: target };
  let classifier: BreedClassifier;
  try {
    classifier = await classifierForVersion(runtime, target, modelsDir, holder.model);
  } catch (err) {
    throw new UserFacingError('not-found', `Version ${target} cannot be loaded: ${(err as Error).message}`, {
      cause: err,
    });
  }
  await activateVersion(options, target, classifier, `rolled back to by ${requestedBy}`);
  log.info({ version: target, requestedBy }, 'rolled back');
  return { activeVersion: target };
}

/** Swaps to the database's active version when this process serves another one; returns the one serving. */
export async function followDatabaseVersion(options: LearningLoopOptions): Promise<string> {
  const { db, model, modelsDir } = options;
  const { runtime, holder } = model;
  const wanted = (await activeModelVersion(db))?.id ?? runtime.baseVersion;
  if (wanted === holder.version) return wanted;
  const classifier =
    wanted === runtime.baseVersion
      ? runtime.classifier
      : await classifierForVersion(runtime, wanted, modelsDir, holder.model);
  await holder.swap(classifier, wanted);
  log.info({ version: wanted }, 'now serving the version the database names');
  return wanted;
}

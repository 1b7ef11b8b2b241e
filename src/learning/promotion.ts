/**
 * A trained candidate's last steps: recorded as a model version, then (when it passed its checks) activated in
 * the database and swapped in. The database is updated before the swap, so a crash in between restarts on the
 * promoted version.
 */
import type { BreedClassifier } from '../model/classifier.ts';
import { classifierForVersion } from '../model/index.ts';
import type { BreedHead } from '../model/types.ts';
import { log } from '../log.ts';
import {
  activateModelVersion,
  recordModelVersion,
  setModelVersionStatus,
} from '../storage/model-versions.ts';
import type { TrainingResult } from '../training/pipeline.ts';
import type { LearningLoopOptions, RetrainResult, RetrainTrigger } from './loop-types.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export interface Candidate {
  result: TrainingResult;
  /** The version it was trained from. */
  parent: string;
  requestedBy: string;
  trigger: RetrainTrigger;
  /** performance.now() when the run began. */
  began: number;
  /** Makes the promoted classifier (a backbone switch already loaded the candidate's backbone). */
  load?: (head: BreedHead, version: string) => BreedClassifier;
}

/** Records the candidate and, when it passed, activates it in the database and swaps it in. */
export async function concludeTraining(
  options: LearningLoopOptions,
  { result, parent, requestedBy, trigger, began, load }: Candidate,
): Promise<RetrainResult> {
  const { db, model } = options;
  const { metrics, decision } = result;
  const version = result.version!;
  const before = { top1: metrics.active.top1, top5: metrics.active.top5 };
  const after = { top1: metrics.candidate.top1, top5: metrics.candidate.top5 };
  const summary = {
    // no holdout, no score: a 0% would read as a measured one in /model info
    ...(metrics.holdoutImages > 0 ? { top1: after.top1, top5: after.top5, before } : {}),
    ece: metrics.candidate.ece,
    holdoutImages: metrics.holdoutImages,
    labels: metrics.labels,
    trainImages: metrics.trainImages,
    newBreeds: metrics.newBreeds,
    guardAgreement: metrics.guard.agreement,
    guardImages: metrics.guard.count,
    epochs: metrics.epochsRun,
    // Per-epoch figures for the training-curve chart of /retrain and /model info (NaN accuracy becomes null).
    curve: metrics.curve,
    trainSeconds: metrics.trainSeconds,
    requestedBy,
    trigger,
    reasons: decision.reasons,
    ...(metrics.fineTune ? { fineTune: metrics.fineTune } : {}),
  };
  await recordModelVersion(db, {
    id: version,
    path: result.dir!,
    parentId: parent,
    backboneId: result.backboneId,
    metrics: summary,
    status: 'candidate',
  });
  const common = {
    version,
    before,
    after,
    reasons: decision.reasons,
    labels: metrics.labels,
    trainSeconds: metrics.trainSeconds,
    newBreeds: metrics.newBreeds,
    metrics: summary,
  };
  if (!decision.promote) {
    const reason = decision.reasons.join('; ');
    await setModelVersionStatus(db, version, 'rejected', reason);
    log.warn({ version, reasons: decision.reasons }, 'candidate rejected; the active model stays');
    return { ...common, status: 'rejected', reason, seconds: (performance.now() - began) / 1000 };
  }
  const reason =
    `holdout top-1 ${pct(before.top1)} → ${pct(after.top1)} on ${metrics.holdoutImages} photos` +
    (metrics.newBreeds.length ? `; new: ${metrics.newBreeds.join(', ')}` : '') +
    (metrics.fineTune?.kept
      ? `; with the backbone's last ${metrics.fineTune.blocks} blocks fine-tuned`
      : '') +
    (load ? `; backbone ${model.holder.model.backbone.id} → ${result.backboneId}` : '');
  const current = model.holder.model;
  let classifier: BreedClassifier;
  try {
    classifier = load
      ? load(result.head, version)
      : result.backboneId === current.backbone.id
        ? current.withHead(result.head, version)
        : await classifierForVersion(model.runtime, version, options.modelsDir, current);
  } catch (err) {
    const why = `it passed its checks but could not be loaded: ${(err as Error).message}`;
    await setModelVersionStatus(db, version, 'rejected', why);
    log.error({ err, version }, 'candidate could not be loaded; the active model stays');
    return { ...common, status: 'rejected', reason: why, seconds: (performance.now() - began) / 1000 };
  }
  await activateVersion(options, version, classifier, reason);
  log.info({ version, before, after, requestedBy, trigger }, 'candidate promoted');
  return { ...common, status: 'promoted', reason, seconds: (performance.now() - began) / 1000 };
}

/** Database first (a crash right after restarts on the new version), then the atomic swap. */
export async function activateVersion(
  options: Pick<LearningLoopOptions, 'db' | 'model'>,
  version: string,
  classifier: BreedClassifier,
  reason: string,
): Promise<void> {
  await activateModelVersion(options.db, version, reason);
  await options.model.holder.swap(classifier, version);
}

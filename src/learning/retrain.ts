/**
 * The retrain job: the resolved labels in the store (with their embeddings by the serving backbone) → a
 * candidate head trained in a worker thread from the active head → judged, recorded and promoted by
 * promotion.ts. Nothing changes when the training fails, is killed or aborted.
 */
import { log } from '../log.ts';
import type { BreedClassifier } from '../model/classifier.ts';
import { imageSpecOf } from '../model/model-config.ts';
import { isBaseVersion } from '../model/registry.ts';
import { countLabelsSince } from '../storage/labels.ts';
import { getModelVersion } from '../storage/model-versions.ts';
import { tooFewLabels } from '../training/dataset.ts';
import { secondStageRunsOn, type SecondStageInput } from '../training/fine-tune/second-stage.ts';
import type { TrainingResult } from '../training/pipeline.ts';
import { runTraining } from '../training/run-training.ts';
import { datasetFromStore, photosForFineTuning } from './dataset-from-store.ts';
import { epochProgress } from './epoch-progress.ts';
import type { LearningLoopOptions, LoopJob, RetrainResult, RetrainTrigger } from './loop-types.ts';
import { concludeTraining } from './promotion.ts';

export async function retrainFromStore(
  { options, report, abortable }: LoopJob,
  requestedBy: string,
  trigger: RetrainTrigger,
): Promise<RetrainResult> {
  const began = performance.now();
  const { db, model } = options;
  const { holder } = model;
  // The head and version training starts from; a rollback during training is refused, so they stay current.
  const active = holder.model;
  const activeVersion = holder.version;
  report({ fraction: 0.01 });
  // The labels the active version was made from would make the same model again.
  const activeRecord = isBaseVersion(activeVersion) ? null : await getModelVersion(db, activeVersion);
  if (activeRecord && (await countLabelsSince(db, activeRecord.createdAt)) === 0) {
    return {
      status: 'skipped',
      reason:
        `nothing new to learn: no label was given or changed since the active version ${activeVersion} ` +
        'was made. No new version was made',
      labels: 0,
    };
  }

  const dataset = await datasetFromStore(
    {
      db,
      backboneId: active.backbone.id,
      embed: (inputs) => active.embed(inputs),
      imageSpec: imageSpecOf(active.backbone.config),
      ...(options.limits ? { limits: options.limits } : {}),
    },
    {
      ...(options.consensus ? { consensus: options.consensus } : {}),
      onProgress: (done, total) => report({ fraction: 0.01 + 0.09 * (done / total) }),
    },
  );
  if (dataset.labels.length === 0) {
    return { status: 'skipped', reason: 'there are no resolved labels yet', labels: 0 };
  }
  // Without a holdout the candidate could not be judged: say how many labels it takes instead of training one.
  const shortfall = tooFewLabels(dataset.labels, active.head.breeds, options.training?.split);
  if (shortfall) return { status: 'skipped', reason: shortfall, labels: dataset.labels.length };
  const fineTune = await secondStageInput(options, active, dataset.labels);
  report({ fraction: 0.1 });

  const signal = abortable();
  let result: TrainingResult;
  try {
    result = await runTraining(
      {
        activeHead: active.head,
        activeVersion,
        backboneId: active.backbone.id,
        labels: dataset.labels,
        referenceEmbeddings: dataset.referenceEmbeddings,
        modelsDir: options.modelsDir,
        ...options.training,
        ...(fineTune ? { fineTune } : {}),
      },
      {
        signal,
        onProgress: (p) => report(epochProgress(p)),
        ...(options.backend ? { backend: options.backend } : {}),
        ...(options.onWorker ? { onWorker: options.onWorker } : {}),
      },
    );
  } catch (err) {
    const message = (err as Error).message;
    log.error({ err, requestedBy, trigger }, 'training failed; the active model is unchanged');
    return {
      status: 'failed',
      reason: `${message}. The current model keeps serving.`,
      labels: dataset.labels.length,
      seconds: (performance.now() - began) / 1000,
    };
  }
  report({ fraction: 0.97 });
  return concludeTraining(options, { result, parent: activeVersion, requestedBy, trigger, began });
}

/**
 * The second stage's photos, read only when it will run: a backend that is not a GPU one gets the request
 * without photos, and the trainer reports why it skipped.
 */
async function secondStageInput(
  options: LearningLoopOptions,
  active: BreedClassifier,
  labels: { imageId: string; sha256: string }[],
): Promise<SecondStageInput | undefined> {
  const settings = options.fineTune;
  if (!settings?.enabled) return undefined;
  const { backbone } = active;
  const requireGpu = settings.requireGpu ?? true;
  const backend = options.backend ?? options.model.runtime.backend.name;
  const photos = secondStageRunsOn(backend, requireGpu)
    ? await photosForFineTuning(options.db, backbone.id, labels, settings.guardPhotos ?? 300)
    : { images: {}, references: [] };
  return {
    ...(settings.options ? { options: settings.options } : {}),
    requireGpu,
    modelDir: backbone.source.dir,
    modelConfig: backbone.config,
    ...photos,
    ...(options.limits ? { limits: options.limits } : {}),
  };
}

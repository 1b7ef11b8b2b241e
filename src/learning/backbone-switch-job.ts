/**
 * The backbone switch job: load another models/<id>.model.json entry beside the serving one, re-embed the stored
 * photos with it, train a head from its base head on every stored label, and judge, record and promote it like a
 * retrain (promotion.ts). Serving stays on the current backbone until the swap; a failure changes nothing.
 */
import { log } from '../log.ts';
import { baseHeadOf, baseVersionOf, ownedClassifier, startEntryBackbone } from '../model/index.ts';
import { embeddingIdOf, loadModelConfig, modelConfigPathFor } from '../model/model-config.ts';
import type { TrainingResult } from '../training/pipeline.ts';
import { runTraining } from '../training/run-training.ts';
import { switchTrainingInput } from './backbone-switch.ts';
import { epochProgress } from './epoch-progress.ts';
import type { LoopJob, RetrainResult, RetrainTrigger } from './loop-types.ts';
import { concludeTraining } from './promotion.ts';

export async function switchBackboneJob(
  { options, report, abortable, entriesDir }: LoopJob,
  entryId: string,
  requestedBy: string,
  trigger: RetrainTrigger,
): Promise<RetrainResult> {
  const began = performance.now();
  const { db, model, modelsDir } = options;
  const { holder, runtime } = model;
  const active = holder.model;
  const activeVersion = holder.version;
  const failed = (why: string): RetrainResult => ({
    status: 'failed',
    reason: `${why.replace(/\.+$/, '')}. The current model keeps serving.`,
    seconds: (performance.now() - began) / 1000,
  });
  report({ fraction: 0.01, stage: 'embedding' });
  let loaded: Awaited<ReturnType<typeof startEntryBackbone>>;
  try {
    const config = loadModelConfig(modelConfigPathFor(entriesDir, entryId));
    if (embeddingIdOf(config) === active.backbone.id) {
      return { status: 'skipped', reason: `the bot already serves on backbone ${active.backbone.id}` };
    }
    loaded = await startEntryBackbone(runtime, embeddingIdOf(config), modelsDir);
  } catch (err) {
    log.error({ err, entryId }, 'the backbone to switch to cannot be loaded; the active model is unchanged');
    return failed(`backbone ${entryId} cannot be loaded: ${(err as Error).message}`);
  }
  // Owns the new backbone and its engine until the promoted classifier (made with withHead) shares them.
  const base = ownedClassifier(runtime, loaded, baseHeadOf(loaded.backbone), baseVersionOf(loaded.backbone));
  const signal = abortable();
  try {
    const input = await switchTrainingInput(
      {
        db,
        serving: active,
        target: base,
        ...(options.limits ? { limits: options.limits } : {}),
        ...(options.consensus ? { consensus: options.consensus } : {}),
        ...(options.training?.split ? { split: options.training.split } : {}),
        signal,
      },
      (done, total) =>
        report({ fraction: 0.01 + 0.49 * (total ? done / total : 1), stage: 'embedding', done, total }),
    );
    if ('skipped' in input) return { status: 'skipped', reason: input.skipped, labels: input.labels };
    report({ fraction: 0.5, stage: 'training' });
    let result: TrainingResult;
    try {
      result = await runTraining(
        { ...input.training, activeVersion, modelsDir, ...options.training },
        {
          signal,
          onProgress: (p) => {
            const epoch = epochProgress(p);
            report({ ...epoch, fraction: 0.5 + 0.45 * ((epoch.fraction - 0.1) / 0.85), stage: 'training' });
          },
          ...(options.backend ? { backend: options.backend } : {}),
          ...(options.onWorker ? { onWorker: options.onWorker } : {}),
        },
      );
    } catch (err) {
      log.error(
        { err, requestedBy, entryId },
        'backbone switch training failed; the active model is unchanged',
      );
      return { ...failed((err as Error).message), labels: input.training.labels.length };
    }
    report({ fraction: 0.97, stage: 'training' });
    return await concludeTraining(options, {
      result,
      parent: activeVersion,
      requestedBy,
      trigger,
      began,
      load: (head, version) => base.withHead(head, version),
    });
  } catch (err) {
    log.error({ err, requestedBy, entryId }, 'backbone switch failed; the active model is unchanged');
    return failed(`the switch to ${entryId} failed: ${(err as Error).message}`);
  } finally {
    await base.release();
  }
}

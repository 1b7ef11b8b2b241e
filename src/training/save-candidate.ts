import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fineTunedBackboneId, parseBackboneId } from '../model/fine-tuned-backbone.ts';
import { newVersionId, saveHeadVersion } from '../model/registry.ts';
import type { BreedHead } from '../model/types.ts';
import type { GuardResult, HeadMetrics } from './evaluate.ts';
import type { BackboneFineTuner } from './fine-tune/backbone-fine-tuner.ts';
import type { RunHooks, TrainingInput, TrainingMetrics, TrainingResult } from './pipeline.ts';
import { decidePromotion, type CandidateMetrics, type PromotionPolicy } from './promotion.ts';

/** What a training run has to show for itself once both stages are done. */
export interface Concluding {
  head: BreedHead;
  candidate: CandidateMetrics;
  active: HeadMetrics;
  guard: GuardResult;
  policy: PromotionPolicy;
  /** Holds the fine-tuned backbone when stage two was kept. */
  tuner: BackboneFineTuner | undefined;
  details: Omit<TrainingMetrics, 'candidate' | 'active' | 'guard'>;
}

/** Decides promotion and saves the candidate (with its backbone when it has its own). */
export async function concludeCandidate(
  input: TrainingInput,
  hooks: RunHooks,
  c: Concluding,
): Promise<TrainingResult> {
  const decision = decidePromotion(c.candidate, c.active, c.guard, c.policy);
  const metrics: TrainingMetrics = { candidate: c.candidate, active: c.active, guard: c.guard, ...c.details };
  if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('training was cancelled');

  const version = newVersionId();
  const backboneId = c.tuner
    ? fineTunedBackboneId(parseBackboneId(input.backboneId).baseId, version)
    : input.backboneId;
  let dir: string | null = null;
  if (input.modelsDir) {
    const backboneDir = c.tuner ? await mkdtemp(path.join(os.tmpdir(), 'breedbot-backbone-')) : undefined;
    try {
      if (backboneDir) await c.tuner!.save(backboneDir);
      const saved = await saveHeadVersion(input.modelsDir, c.head, {
        version,
        parent: input.activeVersion,
        backboneId,
        metrics: { ...metrics, decision },
        ...(backboneDir ? { backboneDir } : {}),
      });
      dir = saved.dir;
    } finally {
      if (backboneDir) await rm(backboneDir, { recursive: true, force: true });
    }
  }
  return {
    version: input.modelsDir ? version : null,
    dir,
    parent: input.activeVersion,
    backboneId,
    head: c.head,
    decision,
    metrics,
  };
}

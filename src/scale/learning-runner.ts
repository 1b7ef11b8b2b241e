/** The LearningLoop as a TrainingRunner: what a queue job (in this process or in `npm run trainer`) runs. */
import type { TrainingOutcome } from '../features/training/types.ts';
import type { LearningLoop } from '../learning/learning-loop.ts';
import type { TrainingRunner } from './training-queue.ts';

export interface LearningRunnerOptions {
  /** Runs first, e.g. the trainer catching up with a rollback made on a shard (training starts from the active head). */
  beforeEach?: () => Promise<unknown>;
}

export function learningLoopRunner(loop: LearningLoop, options: LearningRunnerOptions = {}): TrainingRunner {
  return async (request, onProgress) => {
    await options.beforeEach?.();
    const result = await loop.retrain({
      requestedBy: request.requestedBy,
      guildId: request.guildId,
      reason: request.trigger ?? 'moderator',
      onProgress,
    });
    // A failed run changed nothing; throwing marks the job failed, with the reason, for whoever waits on it.
    if (result.status === 'failed') throw new Error(result.reason ?? 'training failed');
    const { status, version, reason, metrics } = result;
    const outcome: TrainingOutcome = { status };
    if (version) outcome.version = version;
    if (reason) outcome.reason = reason;
    if (metrics) outcome.metrics = metrics;
    return outcome;
  };
}

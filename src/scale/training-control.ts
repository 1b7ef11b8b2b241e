/**
 * The bot's training port (TrainingControl, what /retrain and /model rollback call) over a TrainingQueue.
 * Whichever process runs the training, the moderator sees the same thing: progress edits, then the outcome;
 * "already training, N% done" when one is under way anywhere; a readable refusal when the training failed.
 */
import { UserFacingError } from '../app/errors.ts';
import type { TrainingControl, TrainingOutcome } from '../app/types.ts';
import { TrainingJobFailedError, type TrainingQueue } from './training-queue.ts';

export type Rollback = (version: string, requestedBy: string) => Promise<{ activeVersion: string }>;

export const alreadyTraining = (fraction: number) =>
  new UserFacingError('not-available', `Already training, ${Math.round(fraction * 100)}% done.`);

export function queuedTrainingControl(queue: TrainingQueue, rollback: Rollback): TrainingControl {
  return {
    current: () => queue.current(),
    async retrain({ requestedBy, guildId, onProgress }): Promise<TrainingOutcome> {
      const submission = await queue.submit({ requestedBy, guildId }, onProgress);
      if (!submission.accepted) throw alreadyTraining(submission.progress.fraction);
      try {
        return await submission.outcome;
      } catch (error) {
        if (error instanceof TrainingJobFailedError) {
          throw new UserFacingError('not-available', `Training failed: ${error.reason}`, { cause: error });
        }
        throw error;
      }
    },
    async rollback(version, requestedBy) {
      // The running training started from the active version; it would promote over the rollback.
      if (queue.current()) {
        throw new UserFacingError('not-available', 'A training is running; roll back once it has finished.');
      }
      return rollback(version, requestedBy);
    },
  };
}

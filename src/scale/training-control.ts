/**
 * The bot's training port (TrainingControl, what /retrain and /model rollback call) over a TrainingQueue.
 * Whichever process runs the training, the moderator sees the same thing: progress edits, then the outcome;
 * "already training, N% done" when one is under way anywhere; a readable refusal when the training failed.
 */
import { UserFacingError } from '../refusals.ts';
import type { TrainingControl, TrainingOutcome } from '../features/training/types.ts';
import { TrainingJobFailedError, type TrainingQueue } from './training-queue.ts';

export type Rollback = (version: string, requestedBy: string) => Promise<{ activeVersion: string }>;

export const alreadyTraining = (fraction: number) =>
  new UserFacingError('not-available', `Already training, ${Math.round(fraction * 100)}% done.`);

/** Discord lets a bot edit its reply for 15 minutes; after that the outcome is only in /model info. */
export const DEFAULT_WAIT_MS = 14 * 60 * 1000;

export const stillTraining = () =>
  new UserFacingError(
    'not-available',
    'The training is still queued or running (is `npm run trainer` up?). `/model info` will show its result.',
  );

export function queuedTrainingControl(
  queue: TrainingQueue,
  rollback: Rollback,
  options: { waitMs?: number } = {},
): TrainingControl {
  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  return {
    current: () => queue.current(),
    async retrain({ requestedBy, guildId, onProgress }): Promise<TrainingOutcome> {
      const submission = await queue.submit({ requestedBy, guildId }, onProgress);
      if (!submission.accepted) throw alreadyTraining(submission.progress.fraction);
      submission.outcome.catch(() => undefined); // still settles after we gave up waiting: not unhandled
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(stillTraining()), waitMs);
      });
      try {
        return await Promise.race([submission.outcome, gaveUp]);
      } catch (error) {
        if (error instanceof TrainingJobFailedError) {
          throw new UserFacingError('not-available', `Training failed: ${error.reason}`, { cause: error });
        }
        throw error;
      } finally {
        clearTimeout(timer);
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

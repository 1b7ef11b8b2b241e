/**
 * The bot's training port (src/app/types.ts TrainingControl) over the LearningLoop: what /retrain and
 * /model rollback call. A failed training becomes a refusal people can read; nothing changed in that case.
 */
import { UserFacingError } from '../app/errors.ts';
import type { TrainingControl, TrainingOutcome } from '../app/types.ts';
import type { LearningLoop } from './learning-loop.ts';

export function trainingControlOf(loop: LearningLoop): TrainingControl {
  return {
    current: () => loop.current(),
    async retrain({ requestedBy, guildId, onProgress }): Promise<TrainingOutcome> {
      const result = await loop.retrain({
        requestedBy,
        guildId,
        reason: 'moderator',
        ...(onProgress ? { onProgress } : {}),
      });
      if (result.status === 'failed') {
        throw new UserFacingError('not-available', `Training failed: ${result.reason ?? 'unknown error'}`);
      }
      const { status, version, reason, metrics } = result;
      return {
        status,
        ...(version ? { version } : {}),
        ...(reason ? { reason } : {}),
        ...(metrics ? { metrics } : {}),
      };
    },
    rollback: (version, requestedBy) => loop.rollback(version, requestedBy),
  };
}

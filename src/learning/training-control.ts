/**
 * The bot's training port (TrainingControl, src/features/training/types.ts) over the LearningLoop: what /retrain,
 * /model rollback and /model switch call. A failed training becomes a refusal people can read; nothing changed in that case.
 */
import { UserFacingError } from '../refusals.ts';
import type { TrainingControl, TrainingOutcome } from '../features/training/types.ts';
import type { LearningLoop, RetrainResult } from './learning-loop.ts';

export function trainingControlOf(loop: LearningLoop): TrainingControl {
  return {
    backboneEntries: () => loop.backboneEntries(),
    async switchBackbone({ backboneId, requestedBy, onProgress }): Promise<TrainingOutcome> {
      const result = await loop.switchBackbone({
        backboneId,
        requestedBy,
        reason: 'moderator',
        ...(onProgress ? { onProgress } : {}),
      });
      return outcomeOf(result, 'The backbone switch');
    },
    current: () => loop.current(),
    async retrain({ requestedBy, guildId, onProgress }): Promise<TrainingOutcome> {
      const result = await loop.retrain({
        requestedBy,
        guildId,
        reason: 'moderator',
        ...(onProgress ? { onProgress } : {}),
      });
      return outcomeOf(result, 'Training');
    },
    rollback: (version, requestedBy) => loop.rollback(version, requestedBy),
  };
}

/** A failed run becomes a refusal people can read (`failedAs` names what failed); nothing changed then. */
function outcomeOf(result: RetrainResult, failedAs: string): TrainingOutcome {
  const { status, version, reason, metrics } = result;
  if (status === 'failed') {
    throw new UserFacingError('not-available', `${failedAs} failed: ${reason ?? 'unknown error'}`);
  }
  return {
    status,
    ...(version ? { version } : {}),
    ...(reason ? { reason } : {}),
    ...(metrics ? { metrics } : {}),
  };
}

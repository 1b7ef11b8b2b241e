/** Stores one answer of the model for a source: the whole photo's (dogNumber null) or one dog crop's. */
import type { PredictionSourceKey, Store } from '../../app/store.ts';
import type { ClassifyResult } from '../../model/types.ts';
import type { ImageSource } from './types.ts';

export function savePredictionOf(
  store: Store,
  imageId: string,
  result: ClassifyResult,
  source: ImageSource,
  dogNumber: number | null,
) {
  return store.savePrediction({
    imageId,
    guildId: source.guildId,
    channelId: source.channelId,
    messageId: source.messageId ?? null,
    interactionId: source.interactionId ?? null,
    attachmentIndex: source.attachmentIndex ?? 0,
    dogNumber,
    userId: source.userId,
    modelVersion: result.modelVersion,
    backboneId: result.backboneId,
    isDog: result.isDog,
    dogProbability: result.dogProbability,
    top5: result.top5,
    lookslike: result.lookslike ?? null,
    embedding: result.embedding,
  });
}

/** The key both replay lookups (the photo's prediction and its dogs') find a source by. */
export const sourceKeyOf = (source: ImageSource): PredictionSourceKey => ({
  ...(source.messageId ? { messageId: source.messageId } : {}),
  ...(source.interactionId ? { interactionId: source.interactionId } : {}),
  attachmentIndex: source.attachmentIndex ?? 0,
});

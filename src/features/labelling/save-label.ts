import type { LabelSource, Store, StoredPrediction } from '../../app/store.ts';
import type { LabelOutcome } from './types.ts';

/** Stores one person's label for the photo behind `target`, and reads the photo's crowd answer after it. */
export async function saveLabel(
  store: Store,
  target: StoredPrediction,
  label: { userId: string; breed: string; source: LabelSource; createdBreed: boolean },
): Promise<LabelOutcome> {
  const { changed } = await store.setLabel({
    imageId: target.imageId,
    userId: label.userId,
    breed: label.breed,
    source: label.source,
    guildId: target.guildId,
    modelVersion: target.modelVersion,
    predictionId: target.id,
  });
  return {
    imageId: target.imageId,
    breed: label.breed,
    changed,
    createdBreed: label.createdBreed,
    crowd: await store.crowdAnswer(target.imageId),
  };
}

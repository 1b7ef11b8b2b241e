/**
 * "Why?": the occlusion heatmap of a stored photo's top breed on the model serving now. One explanation costs
 * one classification of the person's rate budget (it runs the model on 50 images, in small batches, so it
 * never holds up other people's photos for long).
 */
import { heatmapOverlay } from '../../images/heatmap-overlay.ts';
import { hottestZone } from '../../model/explain/heat-zone.ts';
import { UserFacingError } from '../../refusals.ts';
import type { ServiceDeps } from '../deps.ts';
import type { GuildSettings } from '../settings/settings.ts';
import type { ExplainRequester, Explanation } from './types.ts';

/** Longest side of the picture sent to chat: plenty to see the heat, a few hundred kB of PNG at most. */
export const EXPLANATION_MAX_SIDE = 1024;

const gone = () => new UserFacingError('not-found', 'That photo is no longer stored, so I cannot show why.');

export class Explain {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly settings: GuildSettings,
  ) {}

  /** The heatmap of the photo a prediction was made for; refused for predictions of another server. */
  async prediction(predictionId: string, requester: ExplainRequester): Promise<Explanation> {
    const prediction = await this.deps.store.predictionById(predictionId);
    if (!prediction) throw gone();
    if (prediction.guildId !== requester.guildId) {
      throw new UserFacingError(
        'foreign-guild',
        'That photo is in another server; I can only explain photos from this one.',
      );
    }
    const bytes = await this.deps.store.imageBytes(prediction.imageId);
    if (!bytes) throw gone();
    await this.settings.consume('classify', requester.userId, requester.guildId);
    return explainBytes(this.deps, bytes);
  }
}

/** The heatmap of photo bytes on the serving model (no storage, no rate budget: the caller decides). */
export async function explainBytes(
  deps: Pick<ServiceDeps, 'model'>,
  bytes: Uint8Array,
  maxSide = EXPLANATION_MAX_SIDE,
): Promise<Explanation> {
  const { map, seen } = await deps.model.explainBytes(bytes);
  const picture = await heatmapOverlay(bytes, map, seen, { maxSide });
  return {
    breed: map.breed,
    probability: map.probability,
    hottest: hottestZone(map, seen),
    ...picture,
    images: map.images,
  };
}

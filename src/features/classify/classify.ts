/**
 * Classifying a photo (uploaded bytes or a link): a replayed source answers with its stored prediction (and its
 * dogs'), a new one spends the rate budget, goes through the model and is stored; with the detector on its dogs
 * follow in a second stage (photo-dogs.ts), so the whole-photo answer never waits for the detector.
 */
import { asUploadRefusal, UrlRefusedError } from '../../images/errors.ts';
import { MAX_URL_LENGTH } from '../../limits.ts';
import { UserFacingError } from '../../refusals.ts';
import type { ServiceDeps } from '../deps.ts';
import type { GuildSettings } from '../settings/settings.ts';
import { dogsOfNewPhoto, storedDogsOf } from './photo-dogs.ts';
import { classificationOf } from './prediction-view.ts';
import { savePredictionOf, sourceKeyOf } from './save-prediction.ts';
import type { Classification, ImageSource, PhotoOrigin } from './types.ts';

export class Classify {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly settings: GuildSettings,
  ) {}

  async bytes(bytes: Uint8Array, source: ImageSource): Promise<Classification> {
    const replay = await this.findReplay(source);
    if (replay) return replay;
    await this.settings.consume('classify', source.userId, source.guildId);
    return this.classifyNew(bytes, source);
  }

  async url(url: string, source: ImageSource, origin: PhotoOrigin): Promise<Classification> {
    if (url.length > MAX_URL_LENGTH) {
      throw new UserFacingError(
        'argument-too-long',
        `That link is too long (over ${MAX_URL_LENGTH} characters).`,
      );
    }
    const replay = await this.findReplay(source);
    if (replay) return replay;
    await this.settings.consume('classify', source.userId, source.guildId);
    const bytes = await this.deps.fetcher.fetch(url, this.isTrustedLoopback(url)).catch((error: unknown) => {
      throw origin === 'upload' && error instanceof UrlRefusedError ? asUploadRefusal(error) : error;
    });
    return this.classifyNew(bytes, source);
  }

  private isTrustedLoopback(url: string): boolean {
    try {
      return (this.deps.trustedLoopbackOrigins ?? []).includes(new URL(url).origin);
    } catch {
      return false;
    }
  }

  private async findReplay(source: ImageSource): Promise<Classification | null> {
    if (!source.messageId && !source.interactionId) return null;
    const existing = await this.deps.store.findPredictionBySource(sourceKeyOf(source));
    if (!existing) return null;
    // Its dogs as first answered (the crops and their predictions are stored): at once, no detector.
    const dogs = await storedDogsOf(this.deps.store, existing, source);
    return { ...classificationOf(existing, true), ...(dogs ? { dogs } : {}) };
  }

  /** Answers with the whole photo at once; with the detector on, its dogs follow in `dogsLater`. */
  private async classifyNew(bytes: Uint8Array, source: ImageSource): Promise<Classification> {
    // Decoding refuses bad bytes before anything is stored.
    const { result, image } = await this.deps.model.classifyBytes(bytes);
    const imageId = await this.deps.store.saveImage({ ...image, bytes });
    const { prediction, created } = await savePredictionOf(this.deps.store, imageId, result, source, null);
    const classification = classificationOf(prediction, !created);
    // Another handler of the same event stored it first: that one finds the dogs.
    if (!this.deps.model.classifyEachDog || !created) return classification;
    const photo = { imageId, width: image.width, height: image.height };
    return { ...classification, dogsLater: dogsOfNewPhoto(this.deps, bytes, photo, source) };
  }
}

/** Both stages as one answer, for one-shot callers (the HTTP API): waits for the dogs. */
export async function withDogs(c: Classification): Promise<Classification> {
  if (!c.dogsLater) return c;
  const { dogsLater, ...rest } = c;
  const dogs = await dogsLater;
  return dogs ? { ...rest, dogs } : rest;
}

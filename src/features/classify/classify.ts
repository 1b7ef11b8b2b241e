/**
 * Classifying a photo (uploaded bytes or a link): a replayed source answers with its stored prediction, a new
 * one spends the rate budget, goes through the model and is stored.
 */
import { asUploadRefusal, UrlRefusedError } from '../../images/errors.ts';
import { drawDogBoxes } from '../../images/dog-boxes.ts';
import { MAX_URL_LENGTH } from '../../limits.ts';
import { UserFacingError } from '../../refusals.ts';
import type { ServiceDeps } from '../deps.ts';
import type { GuildSettings } from '../settings/settings.ts';
import type { ClassifyResult } from '../../model/types.ts';
import { dogPositions } from './dog-position.ts';
import { classificationOf, viewOf } from './prediction-view.ts';
import type { Classification, DogClassification, ImageSource, PhotoOrigin } from './types.ts';

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
    const existing = await this.deps.store.findPredictionBySource({
      ...(source.messageId ? { messageId: source.messageId } : {}),
      ...(source.interactionId ? { interactionId: source.interactionId } : {}),
      attachmentIndex: source.attachmentIndex ?? 0,
    });
    return existing ? classificationOf(existing, true) : null;
  }

  private async classifyNew(bytes: Uint8Array, source: ImageSource): Promise<Classification> {
    // Decoding refuses bad bytes before anything is stored.
    const { result, image } = await this.deps.model.classifyBytes(bytes);
    const imageId = await this.deps.store.saveImage({ ...image, bytes });
    const { prediction, created } = await this.savePredictionOf(imageId, result, source, null);
    // After classifyBytes, which has refused bad bytes with the intake's reasons.
    const found = (await this.deps.model.classifyEachDog?.(bytes)) ?? [];
    const classification = classificationOf(prediction, !created);
    if (found.length === 0) return classification;
    // The crops' regions, as stored: a re-rendered reply words them the same.
    const positions = dogPositions(
      found.map((d) => d.crop.region),
      image.width,
      image.height,
    );
    const dogs: DogClassification[] = [];
    // One at a time, in order: each crop is an image and a prediction of its own.
    for (const [i, dog] of found.entries()) {
      const { bytes: cropBytes, region, ...facts } = dog.crop;
      const cropId = await this.deps.store.saveImage({
        ...facts,
        bytes: cropBytes,
        cropOf: { parentImageId: imageId, box: region },
      });
      const saved = await this.savePredictionOf(cropId, dog.result, source, i + 1);
      dogs.push({
        ...dog,
        number: i + 1,
        position: positions[i]!,
        imageId: cropId,
        predictionId: saved.prediction.id,
        view: viewOf(saved.prediction),
      });
    }
    const dogsPicture = await drawDogBoxes(
      bytes,
      found.map((d) => d.box),
    );
    return { ...classification, dogs, dogsPicture };
  }

  private savePredictionOf(
    imageId: string,
    result: ClassifyResult,
    source: ImageSource,
    dogNumber: number | null,
  ) {
    return this.deps.store.savePrediction({
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
}

/**
 * What the application needs from storage, in its own words. `storage-adapter.ts` implements it over the
 * Prisma repositories in src/storage; keeping the port narrow lets the services read like the product rules.
 */
import type { ReplyLocation, StoredPrediction } from '../features/classify/types.ts';
import type { CrowdAnswer, LabelSource } from '../features/labelling/types.ts';
import type { ModelVersionInfo } from '../features/model/types.ts';
import type { DisputedImageView } from '../features/moderation/types.ts';
import type { ForgetOutcome } from '../features/privacy/types.ts';
import type { GuildSettingsChange, GuildSettingsView } from '../features/settings/types.ts';
import type { GuildStats } from '../features/stats/types.ts';

export type { LabelSource } from '../features/labelling/types.ts';
export type { StoredPrediction } from '../features/classify/types.ts';

export interface DogCropOrigin {
  parentImageId: string;
  box: { x: number; y: number; width: number; height: number };
}

export interface NewPrediction extends Omit<
  StoredPrediction,
  'id' | 'replyMessageId' | 'createdAt' | 'topBreed' | 'userId' | 'dogNumber'
> {
  dogNumber?: number | null;
  userId: string;
  embedding: Float32Array;
}

/** What identifies a photo's source: its interaction, or its message and attachment. */
export interface PredictionSourceKey {
  messageId?: string;
  interactionId?: string;
  attachmentIndex: number;
}

export interface Store {
  seedBreeds(breeds: { name: string; aliases: string[] }[]): Promise<void>;
  /** Canonical name for a name or alias (case-insensitive), or null. */
  resolveBreed(nameOrAlias: string): Promise<string | null>;
  searchBreeds(query: string, limit: number): Promise<string[]>;
  nearestBreeds(query: string, limit: number): Promise<string[]>;
  createBreed(name: string, createdBy: string): Promise<string>;

  /** De-duplicated by SHA-256; returns the existing image's id when the bytes were seen before. */
  saveImage(image: {
    sha256: string;
    bytes: Uint8Array;
    width: number;
    height: number;
    format: string;
    /** A dog cropped from a stored photo: that photo and the crop's region in its pixels. */
    cropOf?: DogCropOrigin;
  }): Promise<string>;
  /** Where a dog's crop was cut from (the photo's size included); null for a whole photo. */
  dogCropOf(imageId: string): Promise<(DogCropOrigin & { parentWidth: number; parentHeight: number }) | null>;
  /** A stored image's bytes; null when the image or its file is gone. */
  imageBytes(imageId: string): Promise<Uint8Array | null>;

  /** The prediction already made for a source (interaction id, else message id + attachment index). */
  findPredictionBySource(source: PredictionSourceKey): Promise<StoredPrediction | null>;
  /** The crops' predictions of a source's photo with several dogs, by dog number; [] for none. */
  dogPredictionsForSource(source: PredictionSourceKey): Promise<StoredPrediction[]>;
  /** Idempotent: a second call for the same source returns the first prediction. */
  savePrediction(p: NewPrediction): Promise<{ prediction: StoredPrediction; created: boolean }>;
  setReplyMessage(predictionIds: string[], replyMessageId: string): Promise<void>;
  /** Predictions shown by one bot reply, in attachment order. */
  predictionsForReply(replyMessageId: string): Promise<StoredPrediction[]>;
  /** Predictions whose source message or reply is `messageId`. */
  predictionsForMessage(messageId: string): Promise<StoredPrediction[]>;
  /** The newest predictions in a channel that have a bot reply (people saw them), newest first. */
  recentRepliedPredictionsInChannel(
    guildId: string | null,
    channelId: string,
    limit: number,
  ): Promise<StoredPrediction[]>;
  predictionById(id: string): Promise<StoredPrediction | null>;

  /** One label per person per image; `changed` is false when it was already exactly this. */
  setLabel(label: {
    imageId: string;
    userId: string;
    breed: string;
    source: LabelSource;
    guildId: string | null;
    modelVersion: string;
    predictionId: string;
  }): Promise<{ changed: boolean }>;
  /** Removes the person's label, but only while it still names `breed` (a later change is kept). */
  retractLabel(imageId: string, userId: string, breed: string): Promise<{ retracted: boolean }>;
  crowdAnswer(imageId: string): Promise<CrowdAnswer | null>;
  labelsForImage(imageId: string): Promise<{ userId: string; breed: string; source: LabelSource }[]>;
  /** Row counts, for health checks and tests ("nothing was stored"). */
  counts(): Promise<{ images: number; predictions: number; labels: number }>;

  activeModelVersion(): Promise<string | null>;
  modelHistory(limit: number): Promise<ModelVersionInfo[]>;
  guildSettings(guildId: string): Promise<GuildSettingsView | null>;
  /** Stores an already validated change and returns the resulting settings. */
  updateGuildSettings(guildId: string, change: GuildSettingsChange): Promise<GuildSettingsView>;
  stats(guildId: string): Promise<GuildStats>;

  forgetUser(userId: string): Promise<ForgetOutcome>;
  /** The bot's replies showing images this person labelled (in `guildId` when given), most recent first. */
  repliesShowingLabelsBy(userId: string, guildId: string | null): Promise<ReplyLocation[]>;
  purgeUserLabels(userId: string, guildId: string): Promise<{ deleted: number }>;
  mostDisputed(guildId: string, limit: number): Promise<DisputedImageView[]>;
  close(): Promise<void>;
}

/** Classification as the application hands it out: where a photo came from and what the model said. */
import type { Box, DogBox } from '../../detection/index.ts';
import type { BoxesPicture } from '../../images/dog-boxes.ts';
import type { BreedProbability, ClassifyResult } from '../../model/types.ts';
import type { CrowdAnswer } from '../labelling/types.ts';
import type { DogPosition } from './dog-position.ts';

/** How a photo reached the bot: a file someone uploaded, or a link (posted, unfurled or given to /classify url:). */
export type PhotoOrigin = 'upload' | 'link';

/** Where an image came from. Predictions are idempotent per (message or interaction, attachment index). */
export interface ImageSource {
  guildId: string | null;
  channelId: string;
  /** The Discord message that carried the image (auto-classify, context menu). */
  messageId?: string;
  /** The slash command that carried it (`/classify`). */
  interactionId?: string;
  /** The person who asked (or posted). */
  userId: string;
  attachmentIndex?: number;
}

/** A classification as people see it (the embedding stays in storage). */
export type PredictionView = Pick<
  ClassifyResult,
  'isDog' | 'top5' | 'lookslike' | 'dogProbability' | 'modelVersion'
>;

export interface Classification {
  result: PredictionView;
  imageId: string;
  predictionId: string;
  /** True when this source had been classified before (a replayed gateway event): nothing new was stored. */
  replayed: boolean;
  /**
   * Answered at once: the per-dog answer of a replayed source whose photo had several dogs (rebuilt from the
   * stored crops), or of a one-shot caller that awaited `dogsLater` (withDogs).
   */
  dogs?: PhotoDogs;
  /**
   * The second stage, with the detector on (DETECTOR=on) and a new photo: the detector runs after this answer is
   * out, and this settles with the per-dog answer when it finds two dogs or more, else null (one dog or none, the
   * detector's queue full, or detection failed: all logged). Never rejects. Adapters reply with the whole-photo
   * answer first and edit the reply when this brings dogs.
   */
  dogsLater?: Promise<PhotoDogs | null>;
}

/** A photo with several dogs: each dog named from its crop, and the photo with their numbered boxes. */
export interface PhotoDogs {
  /** Left to right. */
  dogs: DogClassification[];
  /** The photo with each dog's crop region drawn and numbered as `dogs` are (PNG). */
  picture: BoxesPicture;
}

/**
 * One dog of a photo with several. Its crop is stored as an image of its own (its parent is the photo) with its
 * own prediction, which the reply shows and labels go to.
 */
export interface DogClassification {
  /** 1 = the leftmost dog. */
  number: number;
  position: DogPosition;
  imageId: string;
  predictionId: string;
  /** The crop's answer as people see it. */
  view: PredictionView;
  /** The crop's place in the photo (the detector's box plus a margin), as stored: the boxes picture draws it. */
  region: Box;
  /** The detector's own box and score; absent when rebuilt from storage (only the crop region is stored). */
  detected?: DogBox;
}

/** One image of a bot reply, enough to render it again (e.g. with the crowd's answer). */
export interface ReplyItem {
  predictionId: string;
  imageId: string;
  result: PredictionView;
  crowd: CrowdAnswer | null;
  /** Set when the item is one dog of a photo with several (its crop's prediction). */
  dog?: { number: number; position: DogPosition };
}

/** A reply the bot posted, where to find it. */
export interface ReplyLocation {
  channelId: string;
  messageId: string;
}

/** A prediction as stored: the model's answer for one photo of one message or command, and its reply. */
export interface StoredPrediction {
  id: string;
  imageId: string;
  guildId: string | null;
  channelId: string;
  messageId: string | null;
  interactionId: string | null;
  attachmentIndex: number;
  replyMessageId: string | null;
  /** Who posted or asked; null once they used /forget and others kept the photo. */
  userId: string | null;
  modelVersion: string;
  backboneId: string;
  isDog: boolean;
  dogProbability: number;
  /** The model's first guess (top5[0]'s breed), stored for queries. */
  topBreed: string;
  top5: BreedProbability[];
  lookslike: { label: string; probability: number } | null;
  createdAt: Date;
  /** The crop's prediction for one dog of a photo with several (1 = leftmost), else null. */
  dogNumber: number | null;
}

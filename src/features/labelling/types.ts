/** Labels people give photos, and what the crowd says about a photo. */
import type { ReplyLocation } from '../classify/types.ts';

/** How a label was given. */
export type LabelSource = 'reaction' | 'command' | 'moderator';

/** What the crowd says about one image. */
export interface CrowdAnswer {
  breed: string;
  /** People who gave `breed`. */
  votes: number;
  /** People who labelled the image at all. */
  voters: number;
  /** A moderator's label decides on its own. */
  byModerator: boolean;
  /**
   * Set when people disagree and no breed is resolved (a tie): each breed with its people, most first.
   * `breed`/`votes` are then the first of them, not an answer.
   */
  split?: Array<{ breed: string; votes: number }>;
}

export interface LabelOutcome {
  imageId: string;
  breed: string;
  /** False when the person had already given this exact label (a replayed event, a double click). */
  changed: boolean;
  /** True when the breed did not exist before and a moderator created it. */
  createdBreed: boolean;
  crowd: CrowdAnswer | null;
}

/** `/label`'s outcome: `reply` is the bot message showing the photo; `readAs` names a typo's breed. */
export type LabelCommandOutcome = LabelOutcome & {
  readAs?: string;
  reply: ReplyLocation | null;
};

export interface RetractOutcome {
  imageId: string;
  /** False when there was nothing to retract (the label had already changed to another breed, or a replay). */
  retracted: boolean;
  crowd: CrowdAnswer | null;
}

/** A message someone points at (`/label message:`), already parsed from a link or a bare id. */
export interface MessageRef {
  messageId: string;
  guildId?: string;
  channelId?: string;
}

export interface LabelCommandInput {
  guildId: string | null;
  channelId: string;
  userId: string;
  breed: string;
  /**
   * Default: the newest dog photo the bot answered in the channel (a not-a-dog photo only after a confirmation,
   * see NotADogConfirmationError).
   */
  messageRef?: MessageRef;
  /** 1-based photo of a reply covering several; default 1 (or the only dog). */
  photo?: number;
  /** 1-based dog (leftmost first) of a photo in which the detector found several; needed for such a photo. */
  dog?: number;
  /**
   * Exactly this prediction, which the person confirmed after a NotADogConfirmationError (it must be in their
   * server); `messageRef` and `photo` are then ignored.
   */
  confirmedPredictionId?: string;
  isModerator: boolean;
}

export interface ReactionInput {
  replyMessageId: string;
  /** 1..5 */
  position: number;
  userId: string;
  guildId: string | null;
}

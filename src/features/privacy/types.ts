/** What erasing a person's data did. */
import type { ReplyLocation } from '../classify/types.ts';

/**
 * The bot's replies that showed a crowd answer which just changed (labels removed), most recent first, so the
 * Discord layer can re-render them.
 */
export interface AffectedReplies {
  affectedReplies: ReplyLocation[];
}

/** What `/forget` did, in numbers. */
export interface ForgetOutcome {
  labelsDeleted: number;
  imagesDeleted: number;
  /** Images others posted or labelled too: kept for them, without this person's name. */
  imagesKept: number;
}

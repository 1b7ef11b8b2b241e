import type { ReplyLocation } from '../classify/types.ts';

/** An image whose labellers disagree (moderators' `/moderate review`). */
export interface DisputedImageView {
  imageId: string;
  voters: number;
  /** Most votes first. */
  breeds: { breed: string; votes: number }[];
  /** What the trust-weighted consensus says now (null: unresolved). */
  consensus: string | null;
  /** The bot's reply showing the image in that server, to jump to it. */
  reply: ReplyLocation | null;
}

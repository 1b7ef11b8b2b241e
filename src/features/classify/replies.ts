/** The bot's replies to classified photos: which reply answered a message, and what a reply shows. */
import type { Store } from '../../app/store.ts';
import { viewOf } from './prediction-view.ts';
import type { ReplyItem } from './types.ts';

/** The bot reply already sent for a source message (a replayed MESSAGE_CREATE must not reply twice). */
export async function replyForSourceMessage(store: Store, messageId: string): Promise<string | null> {
  const predictions = await store.predictionsForMessage(messageId);
  return predictions.find((p) => p.messageId === messageId && p.replyMessageId)?.replyMessageId ?? null;
}

/** The images a reply shows, in order, with the crowd's current answer (to re-render it). */
export async function replyItems(store: Store, replyMessageId: string): Promise<ReplyItem[]> {
  const predictions = await store.predictionsForReply(replyMessageId);
  return Promise.all(
    predictions.map(async (p) => ({
      predictionId: p.id,
      imageId: p.imageId,
      result: viewOf(p),
      crowd: await store.crowdAnswer(p.imageId),
    })),
  );
}

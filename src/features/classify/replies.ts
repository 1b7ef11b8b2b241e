/** The bot's replies to classified photos: which reply answered a message, and what a reply shows. */
import type { Store, StoredPrediction } from '../../app/store.ts';
import { dogPositions, type DogPosition } from './dog-position.ts';
import { viewOf } from './prediction-view.ts';
import type { ReplyItem } from './types.ts';

/** The bot reply already sent for a source message (a replayed MESSAGE_CREATE must not reply twice). */
export async function replyForSourceMessage(store: Store, messageId: string): Promise<string | null> {
  const predictions = await store.predictionsForMessage(messageId);
  return predictions.find((p) => p.messageId === messageId && p.replyMessageId)?.replyMessageId ?? null;
}

/** Each dog prediction's place in its photo, from its crop's stored box (siblings of one photo together). */
async function dogPlaces(store: Store, predictions: StoredPrediction[]): Promise<Map<string, DogPosition>> {
  const places = new Map<string, DogPosition>();
  const byPhoto = new Map<number, StoredPrediction[]>();
  for (const p of predictions.filter((q) => q.dogNumber !== null)) {
    byPhoto.set(p.attachmentIndex, [...(byPhoto.get(p.attachmentIndex) ?? []), p]);
  }
  for (const dogs of byPhoto.values()) {
    const crops = await Promise.all(dogs.map((d) => store.dogCropOf(d.imageId)));
    const known = dogs.flatMap((d, i) => (crops[i] ? [{ id: d.id, crop: crops[i] }] : []));
    if (known.length === 0) continue;
    const { parentWidth, parentHeight } = known[0]!.crop;
    const positions = dogPositions(
      known.map((k) => k.crop.box),
      parentWidth,
      parentHeight,
    );
    known.forEach((k, i) => places.set(k.id, positions[i]!));
  }
  return places;
}

/** The images a reply shows, in order, with the crowd's current answer (to re-render it). */
export async function replyItems(store: Store, replyMessageId: string): Promise<ReplyItem[]> {
  const linked = await store.predictionsForReply(replyMessageId);
  // A reply edited to a photo's dogs (the detector's second stage) still links the photo's own prediction.
  const byDog = new Set(linked.filter((p) => p.dogNumber !== null).map((p) => p.attachmentIndex));
  const predictions = linked.filter((p) => p.dogNumber !== null || !byDog.has(p.attachmentIndex));
  const places = await dogPlaces(store, predictions);
  return Promise.all(
    predictions.map(async (p) => {
      const position = places.get(p.id);
      return {
        predictionId: p.id,
        imageId: p.imageId,
        result: viewOf(p),
        crowd: await store.crowdAnswer(p.imageId),
        ...(p.dogNumber !== null && position ? { dog: { number: p.dogNumber, position } } : {}),
      };
    }),
  );
}

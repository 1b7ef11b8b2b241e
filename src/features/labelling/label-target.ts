/** Which stored photo `/label` means: a confirmed one, a given message's, or the channel's newest answered dog. */
import type { Store, StoredPrediction } from '../../app/store.ts';
import { LABEL_LOOKBACK } from '../../limits.ts';
import { UserFacingError } from '../../refusals.ts';
import type { LabelCommandInput } from './types.ts';

/** One photo's predictions: the whole photo's (absent from a several-dog reply) and its dogs', by number. */
interface PhotoEntry {
  whole: StoredPrediction | undefined;
  dogs: StoredPrediction[];
}

const isDogPhoto = (p: PhotoEntry) => p.dogs.length > 0 || !!p.whole?.isDog;

/** One entry per photo, in the order the reply shows them. */
function photoEntries(candidates: StoredPrediction[]): PhotoEntry[] {
  const byIndex = new Map<number, PhotoEntry>();
  for (const p of [...candidates].sort((a, b) => a.attachmentIndex - b.attachmentIndex)) {
    const entry = byIndex.get(p.attachmentIndex) ?? { whole: undefined, dogs: [] };
    if (p.dogNumber === null) entry.whole ??= p;
    else entry.dogs.push(p);
    byIndex.set(p.attachmentIndex, entry);
  }
  for (const entry of byIndex.values()) entry.dogs.sort((a, b) => a.dogNumber! - b.dogNumber!);
  return [...byIndex.values()];
}

function pickEntry(photos: PhotoEntry[], photo: number | undefined, dog: number | undefined): PhotoEntry {
  if (photo !== undefined) {
    const chosen = photos[photo - 1];
    if (!chosen)
      throw new UserFacingError(
        'bad-argument',
        `That reply has ${photos.length} photo${photos.length === 1 ? '' : 's'}; pick one between 1 and ${photos.length}.`,
        { reason: { kind: 'photo-out-of-range', photos: photos.length } },
      );
    return chosen;
  }
  // `dog:` alone means the one photo with several dogs.
  const several = photos.filter((p) => p.dogs.length > 1);
  if (dog !== undefined && several.length === 1) return several[0]!;
  const dogPhotos = photos.filter(isDogPhoto);
  if (photos.length > 1 && dogPhotos.length !== 1) {
    throw new UserFacingError('bad-argument', `That reply covers ${photos.length} photos: say which one.`, {
      reason: { kind: 'photo-ambiguous', photos: photos.length },
    });
  }
  return dogPhotos[0] ?? photos[0]!;
}

/**
 * One photo of a reply (or message): the one `photo:` names, else the only dog, else the only photo; and of a
 * photo with several dogs, the dog `dog:` names. A reply with several photos and no single dog needs `photo:`,
 * a photo with several dogs needs `dog:`.
 */
function pickPhoto(
  candidates: StoredPrediction[],
  photo: number | undefined,
  dog?: number,
): StoredPrediction {
  const entry = pickEntry(photoEntries(candidates), photo, dog);
  if (dog !== undefined) {
    const chosen = entry.dogs[dog - 1] ?? (dog === 1 && entry.dogs.length === 0 ? entry.whole : undefined);
    if (!chosen)
      throw new UserFacingError(
        'bad-argument',
        entry.dogs.length
          ? `That photo has ${entry.dogs.length} dogs; pick one between 1 and ${entry.dogs.length}.`
          : 'I found only one dog in that photo.',
        { reason: { kind: 'dog-out-of-range', dogs: entry.dogs.length } },
      );
    return chosen;
  }
  if (entry.dogs.length > 1) {
    throw new UserFacingError('bad-argument', `That photo shows ${entry.dogs.length} dogs: say which one.`, {
      reason: { kind: 'dog-ambiguous', dogs: entry.dogs.length },
    });
  }
  return entry.whole ?? entry.dogs[0]!;
}

/**
 * The prediction /label points at: a confirmed one, the given message (its photo or the bot's reply), or the
 * newest dog photo the bot answered in the channel. Only the last kind can need a confirmation: when no
 * answered photo in reach was a dog, the newest one is offered instead.
 */
export async function labelTarget(
  store: Store,
  input: LabelCommandInput,
): Promise<{ target: StoredPrediction; needsConfirmation: boolean }> {
  if (input.confirmedPredictionId) {
    const confirmed = await store.predictionById(input.confirmedPredictionId);
    if (!confirmed || confirmed.guildId !== input.guildId) {
      throw new UserFacingError('not-found', 'That photo is no longer stored: label it again.', {
        reason: { kind: 'confirmed-photo-gone' },
      });
    }
    return { target: confirmed, needsConfirmation: false };
  }
  if (input.messageRef) {
    const all = await store.predictionsForMessage(input.messageRef.messageId);
    if (all.some((p) => p.guildId !== input.guildId)) {
      throw new UserFacingError(
        'foreign-guild',
        'That message is in another server; I can only label photos from this one.',
      );
    }
    if (all.length === 0) {
      throw new UserFacingError(
        'nothing-to-label',
        "I haven't looked at a photo in that message: have it classified first.",
        { reason: { kind: 'message-not-classified' } },
      );
    }
    return { target: pickPhoto(all, input.photo, input.dog), needsConfirmation: false };
  }
  const recent = await store.recentRepliedPredictionsInChannel(
    input.guildId,
    input.channelId,
    LABEL_LOOKBACK,
  );
  const newest = recent.find((p) => p.isDog) ?? recent[0];
  if (!newest) {
    throw new UserFacingError(
      'nothing-to-label',
      'There is no photo to label in this channel yet: post one, or point at a message with one.',
      { reason: { kind: 'channel-has-no-photo' } },
    );
  }
  const target = pickPhoto(await store.predictionsForReply(newest.replyMessageId!), input.photo, input.dog);
  return { target, needsConfirmation: !target.isDog };
}

/** Which stored photo `/label` means: a confirmed one, a given message's, or the channel's newest answered dog. */
import type { Store, StoredPrediction } from '../../app/store.ts';
import { LABEL_LOOKBACK } from '../../limits.ts';
import { UserFacingError } from '../../refusals.ts';
import type { LabelCommandInput } from './types.ts';

/**
 * One photo of a reply (or message): the one `photo:` names, else the only dog, else the only photo. A reply
 * with several photos and no single dog needs `photo:`.
 */
function pickPhoto(candidates: StoredPrediction[], photo: number | undefined): StoredPrediction {
  // One entry per photo, in the order the reply shows them.
  const photos = [
    ...new Map(
      [...candidates]
        .sort((a, b) => a.attachmentIndex - b.attachmentIndex)
        .map((p) => [p.attachmentIndex, p]),
    ).values(),
  ];
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
  const dogs = photos.filter((p) => p.isDog);
  if (photos.length > 1 && dogs.length !== 1) {
    throw new UserFacingError('bad-argument', `That reply covers ${photos.length} photos: say which one.`, {
      reason: { kind: 'photo-ambiguous', photos: photos.length },
    });
  }
  return dogs[0] ?? photos[0]!;
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
    return { target: pickPhoto(all, input.photo), needsConfirmation: false };
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
  const target = pickPhoto(await store.predictionsForReply(newest.replyMessageId!), input.photo);
  return { target, needsConfirmation: !target.isDog };
}

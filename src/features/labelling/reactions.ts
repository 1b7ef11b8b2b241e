/** Labelling by reacting to a bot reply: the reacted position's breed on the reply's one dog photo. */
import type { Store, StoredPrediction } from '../../app/store.ts';
import type { GuildSettings } from '../settings/settings.ts';
import { saveLabel } from './save-label.ts';
import type { LabelOutcome, ReactionInput, RetractOutcome } from './types.ts';

/**
 * The one dog photo a reply's reactions refer to and the breed at the reacted position, or null (several
 * dogs, none, not a bot reply, or no breed at that position).
 */
async function reactionTarget(
  store: Store,
  input: ReactionInput,
): Promise<{ target: StoredPrediction; breed: string } | null> {
  const dogs = (await store.predictionsForReply(input.replyMessageId)).filter((p) => p.isDog);
  const target = dogs.length === 1 ? dogs[0]! : null;
  const breed = target?.top5[input.position - 1]?.breed;
  return target && breed ? { target, breed } : null;
}

/** Null when the message is not a reply with exactly one dog photo. */
export async function labelFromReaction(
  store: Store,
  settings: GuildSettings,
  input: ReactionInput,
): Promise<LabelOutcome | null> {
  const reacted = await reactionTarget(store, input);
  if (!reacted) return null;
  await settings.consume('label', input.userId, input.guildId);
  return saveLabel(store, reacted.target, {
    userId: input.userId,
    breed: reacted.breed,
    source: 'reaction',
    createdBreed: false,
  });
}

export async function retractReaction(store: Store, input: ReactionInput): Promise<RetractOutcome | null> {
  const reacted = await reactionTarget(store, input);
  if (!reacted) return null;
  const { imageId } = reacted.target;
  const { retracted } = await store.retractLabel(imageId, input.userId, reacted.breed);
  return { imageId, retracted, crowd: await store.crowdAnswer(imageId) };
}

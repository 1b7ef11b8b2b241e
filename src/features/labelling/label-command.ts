/** `/label`: a typed breed on the photo the command points at, after a confirmation for a not-a-dog photo. */
import type { Store } from '../../app/store.ts';
import { NotADogConfirmationError } from '../../refusals.ts';
import type { GuildSettings } from '../settings/settings.ts';
import { labelTarget } from './label-target.ts';
import { resolveBreedText } from './resolve-breed.ts';
import { saveLabel } from './save-label.ts';
import type { LabelCommandInput, LabelCommandOutcome } from './types.ts';

/**
 * A typed name that is no breed or alias but matches exactly one breed (a typo) is taken as that breed and
 * `readAs` names it; several matches are refused with AmbiguousBreedError listing them.
 */
export async function labelByCommand(
  store: Store,
  settings: GuildSettings,
  input: LabelCommandInput,
): Promise<LabelCommandOutcome> {
  const { target, needsConfirmation } = await labelTarget(store, input);
  const resolved = await resolveBreedText(store, input.breed, input.isModerator);
  const reply = target.replyMessageId
    ? { channelId: target.channelId, messageId: target.replyMessageId }
    : null;
  // Asked before anything is spent or created: a moderator's new breed waits for the confirmation too.
  if (needsConfirmation) throw new NotADogConfirmationError(target.id, resolved.breed, reply);
  await settings.consume('label', input.userId, input.guildId);
  const breed = resolved.isNew ? await store.createBreed(resolved.breed, input.userId) : resolved.breed;
  const outcome = await saveLabel(store, target, {
    userId: input.userId,
    breed,
    source: input.isModerator ? 'moderator' : 'command',
    createdBreed: resolved.isNew,
  });
  return { ...outcome, ...(resolved.readAs ? { readAs: breed } : {}), reply };
}

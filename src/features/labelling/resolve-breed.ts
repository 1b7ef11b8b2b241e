/** A breed as someone typed it, read as a known breed (or a moderator's new one). */
import type { Store } from '../../app/store.ts';
import { MAX_AUTOCOMPLETE, MAX_BREED_LENGTH } from '../../limits.ts';
import { AmbiguousBreedError, UnknownBreedError, UserFacingError } from '../../refusals.ts';
import { NO_BREED_MATCH_VALUE } from '../../storage/breed-search.ts';

const tidy = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * A typed breed as a known breed name. `isNew`: no breed matches and the moderator may create it (the store
 * validates the name, no markup or mentions, when it is created).
 */
export async function resolveBreedText(
  store: Store,
  text: string,
  isModerator: boolean,
): Promise<{ breed: string; isNew: boolean; readAs?: boolean }> {
  const name = tidy(text);
  if (!name) throw new UserFacingError('bad-argument', 'Tell me the breed.');
  if (name.length > MAX_BREED_LENGTH) {
    throw new UserFacingError('argument-too-long', `Breed names are at most ${MAX_BREED_LENGTH} characters.`);
  }
  if (name === NO_BREED_MATCH_VALUE) {
    throw new UserFacingError(
      'bad-argument',
      'That entry only says that no breed matched what you typed. Check the spelling and try again' +
        " (moderators: type the new breed's name and send it without picking an entry).",
    );
  }
  const known = await store.resolveBreed(name);
  if (known) return { breed: known, isNew: false };
  // Typed out rather than picked from the list: a typo that matches exactly one breed is that breed (the
  // reply says how it was read); several matches are listed for the person to choose.
  const matches = await store.searchBreeds(name, 6);
  if (matches.length === 1) return { breed: matches[0]!, isNew: false, readAs: true };
  if (matches.length > 1) throw new AmbiguousBreedError(name, matches.slice(0, 5));
  if (!isModerator) throw new UnknownBreedError(name, await store.nearestBreeds(name, 5));
  return { breed: name, isNew: true };
}

/** At most MAX_AUTOCOMPLETE names, best first. */
export async function autocompleteBreeds(store: Store, query: string): Promise<string[]> {
  const q = tidy(query).slice(0, MAX_BREED_LENGTH);
  return (await store.searchBreeds(q, MAX_AUTOCOMPLETE)).slice(0, MAX_AUTOCOMPLETE);
}

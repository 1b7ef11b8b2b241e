/**
 * Refusals the application gives back to a person. Every adapter (Discord, the CLI, the sandbox page) shows
 * `userMessage` as it is; `code` lets callers and tests tell the cases apart without matching text.
 */
export type RefusalCode =
  | 'image-rejected'
  | 'url-refused'
  | 'unknown-breed'
  | 'argument-too-long'
  | 'bad-argument'
  | 'nothing-to-label'
  | 'foreign-guild'
  | 'permission-denied'
  | 'rate-limited'
  | 'not-available'
  | 'not-found'
  | 'busy'
  | 'needs-confirmation';

export class UserFacingError extends Error {
  constructor(
    readonly code: RefusalCode,
    readonly userMessage: string,
    options?: { cause?: unknown },
  ) {
    super(userMessage, options);
    this.name = 'UserFacingError';
  }
}

/**
 * Someone's own words echoed back: one line, at most `max` characters, markup and mentions shown as typed
 * (backslash-escaped, "@" followed by a zero-width space) so an echo can neither ping nor render a link.
 */
export function echoUserText(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return cut.replace(/[\\*_~`|[\]()<>#]/g, '\\$&').replace(/@/g, '@\u200b');
}

export class UnknownBreedError extends UserFacingError {
  constructor(
    readonly query: string,
    readonly nearest: string[],
  ) {
    // Known breed names are checked for markup when created; the query is whatever someone typed.
    const suggestions = nearest.length ? ` Did you mean: ${nearest.join(', ')}?` : '';
    super('unknown-breed', `I don't know a breed called "${echoUserText(query)}".${suggestions}`);
    this.name = 'UnknownBreedError';
  }
}

/** A typed breed that several known breeds match about equally well: the person picks one. */
export class AmbiguousBreedError extends UserFacingError {
  constructor(
    readonly query: string,
    readonly matches: string[],
  ) {
    super(
      'unknown-breed',
      `"${echoUserText(query)}" could be several breeds: ${matches.join(', ')}. Which one? ` +
        'Pick it from the list as you type, or type its full name.',
    );
    this.name = 'AmbiguousBreedError';
  }
}

/**
 * `/label` without `message:` found only a photo that was not a dog: nothing is stored until the person confirms
 * (the Discord adapter offers a button) or names the photo with `message:`.
 */
export class NotADogConfirmationError extends UserFacingError {
  constructor(
    readonly predictionId: string,
    readonly breed: string,
    readonly reply: { channelId: string; messageId: string } | null,
  ) {
    super(
      'needs-confirmation',
      "The newest photo I answered here doesn't look like a dog to me, so I haven't labelled it. " +
        'Confirm to label it anyway, or say which photo with `message:` (a link to it or to my reply).',
    );
    this.name = 'NotADogConfirmationError';
  }
}

export class RateLimitedError extends UserFacingError {
  constructor(
    readonly scope: 'user' | 'guild',
    readonly retryAfterMs: number,
  ) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    const who = scope === 'user' ? 'You are' : 'This server is';
    super('rate-limited', `${who} going a bit fast. Please try again in ${seconds} s.`);
    this.name = 'RateLimitedError';
  }
}

export const permissionDenied = (action: string): UserFacingError =>
  new UserFacingError(
    'permission-denied',
    `Only moderators can ${action} (Manage Server permission or the server's moderator role).`,
  );

export const isUserFacing = (e: unknown): e is UserFacingError => e instanceof UserFacingError;

/**
 * Refusals the application gives back to a person. `userMessage` is in plain words that name no adapter's
 * commands; where a refusal is best answered in an adapter's own terms (a command option to use), `reason`
 * says why in data and the adapter words it (src/discord/refusal-text.ts). `code` lets callers and tests tell
 * the cases apart without matching text.
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

/** Why a refusal happened, for the adapter to word in its own terms. */
export type RefusalReason =
  /** The person named photo number `photo` of a reply that shows `photos`. */
  | { kind: 'photo-out-of-range'; photos: number }
  /** A reply with several photos and no single dog: the person must say which. */
  | { kind: 'photo-ambiguous'; photos: number }
  /** The person named dog number `dog` of a photo in which `dogs` were found (0: not a several-dog photo). */
  | { kind: 'dog-out-of-range'; dogs: number }
  /** A photo with several dogs, each answered on its own: the person must say which dog. */
  | { kind: 'dog-ambiguous'; dogs: number }
  /** The photo a confirmation was about is gone (forgotten, or in another server). */
  | { kind: 'confirmed-photo-gone' }
  /** The message pointed at carries no photo the bot looked at. */
  | { kind: 'message-not-classified' }
  /** No answered photo in the channel to label by default. */
  | { kind: 'channel-has-no-photo' }
  /** Auto-classify covers every channel (no list), so one channel cannot be switched off on its own. */
  | { kind: 'channel-list-empty' }
  /** The default photo is not a dog: the person confirms or points at another photo. */
  | { kind: 'not-a-dog' };

export class UserFacingError extends Error {
  readonly reason?: RefusalReason;

  constructor(
    readonly code: RefusalCode,
    readonly userMessage: string,
    options?: { cause?: unknown; reason?: RefusalReason },
  ) {
    super(userMessage, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'UserFacingError';
    if (options?.reason) this.reason = options.reason;
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
        'Confirm to label it anyway, or say which photo.',
      { reason: { kind: 'not-a-dog' } },
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

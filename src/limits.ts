/**
 * Limits that both the command definitions (what Discord lets people type) and the services (what they accept)
 * use, so the two cannot drift apart.
 */

/** The longest link /classify accepts, and the longest the image intake fetches (redirects included). */
export const MAX_URL_LENGTH = 2000;
/** The longest breed name /label accepts, typed or created. */
export const MAX_BREED_LENGTH = 100;
/** Discord shows at most 25 autocomplete choices. */
export const MAX_AUTOCOMPLETE = 25;
/** The highest per-minute rate limit a server may set. */
export const MAX_RATE_LIMIT = 10_000;
/** At most this many dogs of one photo are named (Discord shows ten embeds; `/label dog:` goes to 10). */
export const MAX_DOGS_PER_PHOTO = 10;
/** The most channels a server may list for auto-classify. */
export const MAX_ENABLED_CHANNELS = 100;
/** How many of a channel's newest answered photos `/label` without `message:` looks through for a dog. */
export const LABEL_LOOKBACK = 50;

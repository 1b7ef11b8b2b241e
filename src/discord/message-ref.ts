import { UserFacingError } from '../refusals.ts';
import type { MessageRef } from '../features/labelling/types.ts';

/** discord.com links, and the same path on any host (the local sandbox shows its own links). */
const LINK = /^<?https?:\/\/[^/\s]+\/channels\/(\d{1,20}|@me)\/(\d{1,20})\/(\d{1,20})\/?>?$/i;
const BARE_ID = /^\d{1,20}$/;
export const MAX_MESSAGE_REF_LENGTH = 200;

/** Discord's link to a message, as "Copy Message Link" gives it. */
export const messageLink = (m: { guildId: string; channelId: string; messageId: string }): string =>
  `https://discord.com/channels/${m.guildId}/${m.channelId}/${m.messageId}`;

/** Parses a message link or a bare message id. Refuses anything else with a message people understand. */
export function parseMessageRef(text: string): MessageRef {
  const value = text.trim();
  if (value.length > MAX_MESSAGE_REF_LENGTH) {
    throw new UserFacingError(
      'argument-too-long',
      'That message reference is too long: paste a message link or id.',
    );
  }
  if (BARE_ID.test(value)) return { messageId: value };
  const link = LINK.exec(value);
  if (link) {
    const [, guildId, channelId, messageId] = link as unknown as [string, string, string, string];
    if (guildId === '@me')
      throw new UserFacingError('foreign-guild', 'That link points to a direct message, not this server.');
    return { guildId, channelId, messageId };
  }
  throw new UserFacingError(
    'not-found',
    'I could not read that as a message: use "Copy Message Link" in Discord, or a message id.',
  );
}

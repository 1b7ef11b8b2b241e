/**
 * Re-renders the bot's replies after their crowd answer changed: a vote (reactions) or removed labels
 * (`/moderate purge`, `/forget`). Every path goes through one coalescer per reply, so concurrent changes share
 * edits and the last edit always shows the latest state.
 */
import type { Client, Message, PartialMessage } from 'discord.js';
import type { Breedbot } from '../app/breedbot.ts';
import type { ReplyLocation } from '../features/classify/types.ts';
import { log } from '../log.ts';
import { KeyedCoalescer } from './coalesce.ts';
import { NO_MENTIONS, renderReply } from './render.ts';

/** Removed labels can touch many replies; older ones beyond this update at their next vote. */
export const MAX_REPLIES_RERENDERED = 50;

const rerenders = new KeyedCoalescer();

/** `load` gives the message to edit; it runs only when there is something to render. */
export function rerenderReply(
  app: Breedbot,
  messageId: string,
  load: () => Promise<Message | PartialMessage>,
): Promise<void> {
  return rerenders.run(messageId, async () => {
    const items = await app.replyItems(messageId);
    if (items.length === 0) return;
    const { embeds, content } = renderReply(items);
    const loaded = await load();
    // A reply from before a restart arrives as a partial, which discord.js cannot edit (no author yet).
    const message = loaded.partial ? await loaded.fetch() : loaded;
    await message.edit({ content: content ?? null, embeds, allowedMentions: NO_MENTIONS });
  });
}

async function fetchMessage(client: Client, { channelId, messageId }: ReplyLocation): Promise<Message> {
  const channel = await client.channels.fetch(channelId);
  if (!channel?.isTextBased()) throw new Error(`channel ${channelId} is not a text channel`);
  return channel.messages.fetch(messageId);
}

/**
 * Re-renders up to MAX_REPLIES_RERENDERED replies (the first ones given: callers pass the most recent first),
 * one after the other to stay within Discord's rate limits. A reply that cannot be edited (deleted, no access)
 * is logged and skipped. Returns how many were edited.
 */
export async function rerenderReplies(
  client: Client,
  app: Breedbot,
  replies: readonly ReplyLocation[],
): Promise<number> {
  let edited = 0;
  for (const reply of replies.slice(0, MAX_REPLIES_RERENDERED)) {
    try {
      await rerenderReply(app, reply.messageId, () => fetchMessage(client, reply));
      edited++;
    } catch (err) {
      log.warn({ err, messageId: reply.messageId }, 'could not re-render a reply');
    }
  }
  return edited;
}

/** A note for the reply when more replies were affected than are re-rendered now; empty otherwise. */
export function notRerenderedNote(affected: number): string {
  const more = affected - MAX_REPLIES_RERENDERED;
  if (more <= 0) return '';
  return more === 1
    ? '1 older reply will show the change at its next vote.'
    : `${more} older replies will show the change at their next vote.`;
}

/**
 * Re-renders the bot's replies after their crowd answer changed: a vote (reactions) or removed labels
 * (`/moderate purge`, `/forget`). Every path goes through one coalescer per reply, so concurrent changes share
 * edits and the last edit always shows the latest state.
 */
import type { Client, EmbedBuilder, Message, PartialMessage } from 'discord.js';
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
    const loaded = await load();
    // A reply from before a restart arrives as a partial, which discord.js cannot edit (no author yet).
    const message = loaded.partial ? await loaded.fetch() : loaded;
    await rerenderFromStore(app, messageId, (payload) => message.edit(payload));
  });
}

/** The reply's blocks as the store has them now (the crowd's answers included). */
export async function rerenderFromStore(
  app: Breedbot,
  messageId: string,
  edit: (payload: {
    content: string | null;
    embeds: EmbedBuilder[];
    allowedMentions: typeof NO_MENTIONS;
  }) => Promise<unknown>,
): Promise<void> {
  const items = await app.replyItems(messageId);
  if (items.length === 0) return;
  const { embeds, content } = renderReply(items);
  await edit({ content: content ?? null, embeds, allowedMentions: NO_MENTIONS });
}

/**
 * Runs an edit of a reply other than the crowd re-render (the per-dog edit) in turn with its re-renders, so the
 * two cannot land out of order. A re-render asked for while it runs comes after it as `rerender` (from the store).
 */
export async function editReplyInTurn(
  messageId: string,
  edit: () => Promise<void>,
  rerender: () => Promise<void>,
): Promise<void> {
  let ran = false;
  const once = async () => {
    if (ran) return rerender();
    ran = true;
    await edit();
  };
  // A re-render already running is not replaced by this edit: wait for it and try again.
  for (let tries = 0; !ran && tries < 5; tries++) {
    await rerenders.run(messageId, once).catch((err: unknown) => {
      if (ran) throw err;
    });
  }
  if (!ran) await edit();
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

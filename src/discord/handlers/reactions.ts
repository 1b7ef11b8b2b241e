/**
 * Reactions on the bot's replies: 1️⃣–5️⃣ set that person's label (changing replaces, removing retracts),
 * ❌ explains /label to that person in a DM (none-help.ts). The reply is then re-rendered with the crowd's answer.
 */
import type { MessageReaction, PartialMessageReaction, PartialUser, User } from 'discord.js';
import type { Breedbot } from '../../app/breedbot.ts';
import { log } from '../../log.ts';
import { sendNoneHelp, type NoneHelpRecord } from '../none-help.ts';
import { NONE_EMOJI, NUMBER_EMOJIS, reactionPosition } from '../render.ts';
import { rerenderReply } from '../reply-rerender.ts';

export interface ReactionHandlerDeps {
  app: Breedbot;
  botUserId: string;
  noneHelp: NoneHelpRecord;
}

type AnyReaction = MessageReaction | PartialMessageReaction;
type AnyUser = User | PartialUser;

async function isPerson(user: AnyUser, botUserId: string): Promise<boolean> {
  if (user.id === botUserId) return false;
  const full = user.partial ? await user.fetch().catch(() => null) : user;
  return full ? !full.bot : false;
}

/** Votes arriving together share re-renders, and the last edit always shows the latest count. */
function rerender(app: Breedbot, reaction: AnyReaction): Promise<void> {
  return rerenderReply(app, reaction.message.id, () => Promise.resolve(reaction.message));
}

/** When someone switches from 2️⃣ to 3️⃣, take their old number away so the reactions show one vote each. */
async function removeOtherVotes(reaction: AnyReaction, userId: string): Promise<void> {
  for (const emoji of NUMBER_EMOJIS) {
    if (emoji === reaction.emoji.name) continue;
    const other = reaction.message.reactions.cache.find((r) => r.emoji.name === emoji);
    if (other?.users.cache.has(userId)) {
      await other.users
        .remove(userId)
        .catch((err: unknown) => log.debug({ err }, 'could not remove an old vote'));
    }
  }
}

export async function handleReactionAdd(reaction: AnyReaction, user: AnyUser, deps: ReactionHandlerDeps) {
  const { app } = deps;
  if (!(await isPerson(user, deps.botUserId))) return;
  const guildId = reaction.message.guildId ?? null;

  if (reaction.emoji.name === NONE_EMOJI) {
    const { id: messageId, channelId } = reaction.message;
    if (!guildId || (await app.replyItems(messageId)).length === 0) return;
    if (!deps.noneHelp.firstTime(user.id, messageId)) return;
    await sendNoneHelp(reaction.client, user.id, { guildId, channelId, messageId });
    return;
  }
  const position = reactionPosition(reaction.emoji.name);
  if (position === null) return;
  const outcome = await app.labelFromReaction({
    replyMessageId: reaction.message.id,
    position,
    userId: user.id,
    guildId,
  });
  if (!outcome?.changed) return;
  await removeOtherVotes(reaction, user.id);
  await rerender(app, reaction);
}

export async function handleReactionRemove(reaction: AnyReaction, user: AnyUser, deps: ReactionHandlerDeps) {
  const { app } = deps;
  if (!(await isPerson(user, deps.botUserId))) return;
  const position = reactionPosition(reaction.emoji.name);
  if (position === null) return;
  const guildId = reaction.message.guildId ?? null;
  const outcome = await app.retractReaction({
    replyMessageId: reaction.message.id,
    position,
    userId: user.id,
    guildId,
  });
  if (!outcome?.retracted) return;
  await rerender(app, reaction);
}

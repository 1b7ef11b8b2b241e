import { DiscordApiError } from '../errors.ts';
import type { FakeDiscordState } from '../fake-state.ts';
import { emojiKey } from '../messages.ts';
import type { Route } from '../router.ts';
import { noContent, ok, route, type RouteKit } from './kit.ts';

const M = '/channels/:channel/messages/:message';

/** Reactions on guild messages: the bot's own, removing anyone's, listing who reacted. */
export function reactionRoutes(fake: FakeDiscordState, kit: RouteKit): Route[] {
  const { channelOf, messageIn, checkEmoji } = kit;
  return [
    route('DELETE', `${M}/reactions`, (req) => {
      fake.messages.clearReactions(messageIn(req.params.channel!, req.params.message!).id);
      return noContent;
    }),
    route('PUT', `${M}/reactions/:emoji/@me`, (req) => {
      const { guild } = channelOf(req.params.channel!);
      const message = messageIn(req.params.channel!, req.params.message!);
      const emoji = checkEmoji(guild, req.params.emoji!);
      if (
        message.reactions.length >= 20 &&
        !message.reactions.some((r) => emojiKey(r.emoji) === emojiKey(emoji))
      )
        throw new DiscordApiError(400, 30010, 'Maximum number of reactions reached (20)');
      fake.messages.react(message.id, emoji, fake.users.bot.id, true);
      return noContent;
    }),
    route('DELETE', `${M}/reactions/:emoji/@me`, (req) => {
      const { guild } = channelOf(req.params.channel!);
      const message = messageIn(req.params.channel!, req.params.message!);
      fake.messages.react(message.id, checkEmoji(guild, req.params.emoji!), fake.users.bot.id, false);
      return noContent;
    }),
    route('DELETE', `${M}/reactions/:emoji/:user`, (req) => {
      const { guild } = channelOf(req.params.channel!);
      const message = messageIn(req.params.channel!, req.params.message!);
      fake.messages.react(message.id, checkEmoji(guild, req.params.emoji!), req.params.user!, false);
      return noContent;
    }),
    route('GET', `${M}/reactions/:emoji`, (req) => {
      const { guild } = channelOf(req.params.channel!);
      const message = messageIn(req.params.channel!, req.params.message!);
      const key = emojiKey(checkEmoji(guild, req.params.emoji!));
      const reaction = message.reactions.find((r) => emojiKey(r.emoji) === key);
      const after = req.query.get('after');
      const limit = Math.min(Number(req.query.get('limit') ?? 25), 100);
      const ids = (reaction?.users ?? [])
        .filter((id) => !after || BigInt(id) > BigInt(after))
        .slice(0, limit);
      return ok(ids.map((id) => guild.members.get(id)?.user).filter(Boolean));
    }),
    route('DELETE', `${M}/reactions/:emoji`, (req) => {
      const { guild } = channelOf(req.params.channel!);
      const message = messageIn(req.params.channel!, req.params.message!);
      fake.messages.clearReactions(message.id, checkEmoji(guild, req.params.emoji!));
      return noContent;
    }),
  ];
}

import type { APIEmbed } from 'discord-api-types/v10';
import { DiscordApiError } from '../errors.ts';
import type { FakeDiscordState } from '../fake-state.ts';
import { checkContent, checkEmbeds, emptyMessage } from '../message-rules.ts';
import { restMessage } from '../messages.ts';
import type { Route, RouteRequest, RouteResult } from '../router.ts';
import { noContent, ok, route, type Body, type RouteKit } from './kit.ts';

const M = '/channels/:channel/messages/:message';

/** Channels and their messages (guild text channels, and the DM channels the bot opened). */
export function channelRoutes(fake: FakeDiscordState, kit: RouteKit): Route[] {
  const { channelOf, messageIn, composeMessage, editMessage } = kit;

  /** A DM from the bot: text and embeds only (the bot sends nothing else there). */
  const sendDirect = (req: RouteRequest): RouteResult => {
    const body = (req.body ?? {}) as Body;
    checkContent(body.content);
    checkEmbeds(body.embeds);
    const content = typeof body.content === 'string' ? body.content : '';
    const embeds = (body.embeds as APIEmbed[] | undefined) ?? [];
    if (!content && !embeds.length) throw emptyMessage();
    return ok(fake.directMessages.send(req.params.channel!, { content, embeds }));
  };

  return [
    route('GET', '/channels/:channel', (req) =>
      ok(fake.directMessages.channel(req.params.channel!) ?? channelOf(req.params.channel!).channel),
    ),
    route('POST', '/channels/:channel/typing', (req) => (channelOf(req.params.channel!), noContent)),
    route('GET', '/channels/:channel/messages', (req) => {
      const { channel } = channelOf(req.params.channel!);
      const all = fake.messages.list(channel.id).reverse(); // newest first, like Discord
      const limit = Math.min(Math.max(Number(req.query.get('limit') ?? 50), 1), 100);
      const before = req.query.get('before');
      const after = req.query.get('after');
      const around = req.query.get('around');
      let picked = all;
      if (before) picked = all.filter((m) => BigInt(m.id) < BigInt(before));
      else if (after) picked = all.filter((m) => BigInt(m.id) > BigInt(after)).slice(-limit);
      else if (around) {
        const i = Math.max(
          all.findIndex((m) => m.id === around),
          0,
        );
        picked = all.slice(Math.max(i - Math.floor(limit / 2), 0));
      }
      return ok(picked.slice(0, limit).map(restMessage));
    }),
    route('POST', '/channels/:channel/messages', async (req) => {
      if (fake.directMessages.channel(req.params.channel!)) return sendDirect(req);
      const { guild, channel } = channelOf(req.params.channel!);
      const composed = await composeMessage(guild, channel.id, (req.body ?? {}) as Body, req.files);
      const message = fake.messages.create({
        ...composed,
        channelId: channel.id,
        guildId: guild.guild.id,
        author: fake.users.bot,
      });
      return ok(restMessage(message));
    }),
    route('GET', M, (req) => ok(restMessage(messageIn(req.params.channel!, req.params.message!)))),
    route('PATCH', M, async (req) => {
      const { guild } = channelOf(req.params.channel!);
      const message = messageIn(req.params.channel!, req.params.message!);
      if (message.author.id !== fake.users.bot.id)
        throw new DiscordApiError(403, 50005, 'Cannot edit a message authored by another user');
      return editMessage(guild, message, req);
    }),
    route('DELETE', M, (req) => {
      fake.messages.delete(messageIn(req.params.channel!, req.params.message!).id);
      return noContent;
    }),
  ];
}

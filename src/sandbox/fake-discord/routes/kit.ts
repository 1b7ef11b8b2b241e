import {
  MessageFlags,
  type APIAllowedMentions,
  type APIEmbed,
  type APIMessageReference,
} from 'discord-api-types/v10';
import { invalidFormBody, unknownChannel, unknownEmoji, unknownGuild, unknownMessage } from '../errors.ts';
import type { FakeDiscordState } from '../fake-state.ts';
import type { ReceivedFile } from '../http-body.ts';
import { mentionsInGuild } from '../mentions.ts';
import { checkContent, checkEmbeds, emptyMessage } from '../message-rules.ts';
import {
  parseEmoji,
  restMessage,
  type FakeMessage,
  type MessagePatch,
  type NewMessage,
} from '../messages.ts';
import type { Route, RouteHandler, RouteRequest, RouteResult } from '../router.ts';
import type { FakeGuild } from '../world.ts';

export type Body = Record<string, unknown>;
export const ok = (body: unknown, status = 200): RouteResult => ({ status, body });
export const noContent: RouteResult = { status: 204 };

export const route = (method: string, pattern: string, handler: RouteHandler, auth = true): Route => ({
  method,
  pattern,
  handler,
  auth,
});

export type RouteKit = ReturnType<typeof routeKit>;

/** The lookups and body readers the REST routes share; each lookup throws the API error Discord answers. */
export function routeKit(fake: FakeDiscordState) {
  const channelOf = (id: string) => {
    const found = fake.guildOfChannel(id);
    if (!found) throw unknownChannel();
    return found;
  };
  const messageIn = (channelId: string, messageId: string): FakeMessage => {
    const m = fake.messages.get(messageId);
    if (!m || m.channel_id !== channelId || fake.messages.isEphemeral(m.id)) throw unknownMessage();
    return m;
  };
  const guildOf = (id: string): FakeGuild => {
    const g = fake.guilds.find((x) => x.guild.id === id);
    if (!g) throw unknownGuild();
    return g;
  };
  const checkEmoji = (guild: FakeGuild, text: string) => {
    const emoji = parseEmoji(text);
    if (emoji.id ? !guild.guild.emojis.some((e) => e.id === emoji.id) : !/[^\x20-\x7e]/.test(text))
      throw unknownEmoji();
    return emoji;
  };

  /** Reads a message body (JSON or payload_json + files) into what the store needs; 400s like Discord. */
  const composeMessage = async (
    guild: FakeGuild,
    channelId: string,
    body: Body,
    files: ReceivedFile[],
  ): Promise<Omit<NewMessage, 'author' | 'channelId' | 'guildId'>> => {
    checkContent(body.content);
    checkEmbeds(body.embeds);
    const content = typeof body.content === 'string' ? body.content : '';
    const embeds = (body.embeds as APIEmbed[] | undefined) ?? [];
    const components = (body.components as NewMessage['components']) ?? [];
    const stickers = (body.sticker_ids as unknown[] | undefined) ?? [];
    if (!content && !embeds.length && !files.length && !components.length && !stickers.length && !body.poll)
      throw emptyMessage();
    let reference: APIMessageReference | undefined;
    const ref = body.message_reference as
      (APIMessageReference & { fail_if_not_exists?: boolean }) | undefined;
    if (ref?.message_id) {
      const target = fake.messages.get(ref.message_id);
      if (target && target.channel_id === (ref.channel_id ?? channelId))
        reference = { message_id: target.id, channel_id: target.channel_id, guild_id: guild.guild.id };
      else if (ref.fail_if_not_exists !== false)
        throw invalidFormBody('message_reference', 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
    }
    const attachments = await fake.cdn.uploadReceived(channelId, files, body.attachments);
    const mentions = mentionsInGuild(
      guild,
      fake.users.bot.id,
      content,
      body.allowed_mentions as APIAllowedMentions | undefined,
      reference?.message_id ? fake.messages.get(reference.message_id)?.author : undefined,
    );
    return {
      content,
      embeds,
      components,
      attachments,
      mentions,
      flags: Number(body.flags ?? 0) & (MessageFlags.SuppressEmbeds | MessageFlags.SuppressNotifications),
      tts: body.tts === true,
      ...(reference ? { reference } : {}),
      ...(body.nonce !== undefined ? { nonce: body.nonce as string } : {}),
    };
  };

  /** Reads an edit body; `attachments` lists the kept ones by id and new ones by files[n] index. */
  const composeEdit = async (
    guild: FakeGuild,
    message: FakeMessage,
    body: Body,
    files: ReceivedFile[],
  ): Promise<MessagePatch> => {
    checkContent(body.content);
    checkEmbeds(body.embeds);
    const patch: MessagePatch = {};
    if ('content' in body) patch.content = (body.content as string | null) ?? null;
    if ('embeds' in body) patch.embeds = (body.embeds as APIEmbed[] | null) ?? null;
    if ('components' in body) patch.components = (body.components as MessagePatch['components']) ?? null;
    if ('flags' in body) patch.flags = Number(body.flags ?? 0);
    const uploaded = await fake.cdn.uploadReceived(message.channel_id, files, body.attachments);
    if ('attachments' in body || uploaded.length) {
      const listed = (body.attachments as { id: string | number }[] | undefined) ?? message.attachments;
      const kept = message.attachments.filter((a) => listed.some((l) => String(l.id) === a.id));
      patch.attachments = [...kept, ...uploaded];
    }
    if (typeof patch.content === 'string')
      patch.mentions = mentionsInGuild(
        guild,
        fake.users.bot.id,
        patch.content,
        body.allowed_mentions as APIAllowedMentions | undefined,
      );
    return patch;
  };

  const editMessage = async (
    guild: FakeGuild,
    message: FakeMessage,
    req: RouteRequest,
  ): Promise<RouteResult> => {
    const patch = await composeEdit(guild, message, (req.body ?? {}) as Body, req.files);
    return ok(restMessage(fake.messages.edit(message.id, patch)!));
  };

  return { channelOf, messageIn, guildOf, checkEmoji, composeMessage, composeEdit, editMessage };
}

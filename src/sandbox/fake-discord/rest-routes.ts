import {
  ApplicationCommandType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageType,
  type APIAllowedMentions,
  type APIApplication,
  type APIApplicationCommandOptionChoice,
  type APIEmbed,
  type APIMessageReference,
  type RESTGetAPIGatewayBotResult,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord-api-types/v10';
import {
  DiscordApiError,
  invalidFormBody,
  unknownChannel,
  unknownCommand,
  unknownEmoji,
  unknownGuild,
  unknownInteraction,
  unknownMember,
  unknownMessage,
  unknownUser,
  unknownWebhook,
} from './errors.ts';
import type { FakeDiscordState } from './fake-state.ts';
import type { ReceivedFile } from './http-body.ts';
import { mentionsInGuild } from './mentions.ts';
import { checkContent, checkEmbeds, emptyMessage } from './message-rules.ts';
import {
  restMessage,
  emojiKey,
  parseEmoji,
  type FakeMessage,
  type MessagePatch,
  type NewMessage,
} from './messages.ts';
import type { Route, RouteHandler, RouteRequest, RouteResult } from './router.ts';
import type { InteractionState } from './types.ts';
import type { FakeGuild } from './world.ts';

type Body = Record<string, unknown>;
const ok = (body: unknown, status = 200): RouteResult => ({ status, body });
const noContent: RouteResult = { status: 204 };
const INTERACTION_TOKEN_TTL_MS = 15 * 60_000;

/** Every REST route the fake serves under /api/v10, in match order (static segments before parameters). */
export function buildRoutes(fake: FakeDiscordState): Route[] {
  const route = (method: string, pattern: string, handler: RouteHandler, auth = true): Route => ({
    method,
    pattern,
    handler,
    auth,
  });

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

  // ---- interactions ---------------------------------------------------------------------------------

  const interactionByToken = (appId: string, token: string): InteractionState => {
    if (appId !== fake.applicationId) throw unknownWebhook();
    const state = [...fake.interactions.values()].find((s) => s.payload.token === token);
    if (!state || Date.now() - state.createdAt > INTERACTION_TOKEN_TTL_MS) throw unknownWebhook();
    return state;
  };

  const interactionReply = async (
    state: InteractionState,
    data: Body,
    files: ReceivedFile[],
    loading: boolean,
  ) => {
    const p = state.payload;
    const channelId = p.channel_id ?? p.channel!.id;
    const { guild } = channelOf(channelId);
    const isChatInput =
      p.type === InteractionType.ApplicationCommand && p.data.type === ApplicationCommandType.ChatInput;
    const ephemeral = (Number(data.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
    const composed = loading
      ? { mentions: { mentions: [], mention_roles: [], mention_everyone: false } }
      : await composeMessage(guild, channelId, data, files);
    return fake.messages.create({
      ...composed,
      channelId,
      guildId: guild.guild.id,
      author: fake.users.bot,
      type: isChatInput ? MessageType.ChatInputCommand : MessageType.ContextMenuCommand,
      flags:
        ((composed as { flags?: number }).flags ?? 0) |
        (ephemeral ? MessageFlags.Ephemeral : 0) |
        (loading ? MessageFlags.Loading : 0),
      webhookId: fake.applicationId,
      applicationId: fake.applicationId,
      interactionMetadata: {
        id: p.id,
        type: InteractionType.ApplicationCommand,
        user: p.member.user,
        authorizing_integration_owners: p.authorizing_integration_owners,
        ...(p.type === InteractionType.ApplicationCommand && p.data.type === ApplicationCommandType.Message
          ? { target_message_id: p.data.target_id }
          : {}),
      },
      ...(ephemeral ? { ephemeralFor: p.member.user.id } : {}),
    });
  };

  const callback: RouteHandler = async (req) => {
    const state = fake.interactions.get(req.params.interaction!);
    if (!state || state.payload.token !== req.params.token) throw unknownInteraction();
    if (Date.now() - state.createdAt > fake.options.interactionAckTimeoutMs) throw unknownInteraction();
    if (state.callback) throw new DiscordApiError(400, 40060, 'Interaction has already been acknowledged.');
    const body = (req.body ?? {}) as { type?: number; data?: Body };
    const data = body.data ?? {};
    const T = InteractionResponseType;
    const isAutocomplete = state.payload.type === InteractionType.ApplicationCommandAutocomplete;
    if (isAutocomplete !== (body.type === T.ApplicationCommandAutocompleteResult))
      throw invalidFormBody(
        'type',
        'INTERACTION_RESPONSE_TYPE_INVALID',
        'Invalid interaction response type for this interaction.',
      );
    let message: FakeMessage | undefined;
    switch (body.type) {
      case T.ChannelMessageWithSource:
      case T.DeferredChannelMessageWithSource: {
        const loading = body.type === T.DeferredChannelMessageWithSource;
        state.callback = { type: body.type, data };
        try {
          message = await interactionReply(state, data, req.files, loading);
        } catch (error) {
          delete state.callback;
          throw error;
        }
        state.originalId = message.id;
        break;
      }
      case T.ApplicationCommandAutocompleteResult: {
        const choices = (data.choices ?? []) as APIApplicationCommandOptionChoice[];
        if (!Array.isArray(choices) || choices.length > 25)
          throw invalidFormBody('data.choices', 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
        choices.forEach((c, i) => {
          if (typeof c.name !== 'string' || c.name.length < 1 || c.name.length > 100)
            throw invalidFormBody(
              `data.choices.${i}.name`,
              'BASE_TYPE_BAD_LENGTH',
              'Must be between 1 and 100 in length.',
            );
        });
        state.choices = choices;
        state.callback = { type: body.type, data };
        break;
      }
      case T.UpdateMessage: {
        // A button's answer that edits the message carrying the button.
        const original = state.originalId ? fake.messages.get(state.originalId) : undefined;
        if (!original || state.payload.type !== InteractionType.MessageComponent)
          throw invalidFormBody('type', 'INTERACTION_RESPONSE_TYPE_INVALID', 'No message to update.');
        const { guild } = channelOf(original.channel_id);
        message = fake.messages.edit(original.id, await composeEdit(guild, original, data, req.files))!;
        state.callback = { type: body.type, data };
        break;
      }
      case T.Modal:
      case T.DeferredMessageUpdate:
        state.callback = { type: body.type, data };
        break;
      default:
        throw invalidFormBody(
          'type',
          'BASE_TYPE_CHOICES',
          `Value must be one of the interaction callback types.`,
        );
    }
    if (req.query.get('with_response') !== 'true') return noContent;
    return ok({
      interaction: {
        id: state.payload.id,
        type: state.payload.type,
        activity_instance_id: null,
        ...(message
          ? {
              response_message_id: message.id,
              response_message_loading: body.type === T.DeferredChannelMessageWithSource,
              response_message_ephemeral: (Number(message.flags) & MessageFlags.Ephemeral) !== 0,
            }
          : {}),
      },
      ...(message ? { resource: { type: body.type, message: restMessage(message) } } : {}),
    });
  };

  const webhookMessage = (state: InteractionState, id: string): FakeMessage => {
    const messageId =
      id === '@original'
        ? state.originalId
        : state.followUpIds.includes(id) || id === state.originalId
          ? id
          : undefined;
    const message = messageId ? fake.messages.get(messageId) : undefined;
    if (!message) throw unknownMessage();
    return message;
  };

  const followUp: RouteHandler = async (req) => {
    const state = interactionByToken(req.params.app!, req.params.token!);
    if (!state.callback) throw unknownWebhook();
    const body = (req.body ?? {}) as Body;
    const original = state.originalId ? fake.messages.get(state.originalId) : undefined;
    let message: FakeMessage;
    // After a defer, Discord turns the first follow-up into the "thinking…" message itself.
    if (
      original &&
      state.callback.type === InteractionResponseType.DeferredChannelMessageWithSource &&
      original.edited_timestamp === null
    ) {
      const { guild } = channelOf(original.channel_id);
      message = fake.messages.edit(original.id, await composeEdit(guild, original, body, req.files))!;
    } else {
      message = await interactionReply(state, body, req.files, false);
      state.followUpIds.push(message.id);
    }
    return req.query.get('wait') === 'true' ? ok(restMessage(message)) : noContent;
  };

  // ---- commands --------------------------------------------------------------------------------------

  const appCheck = (req: RouteRequest) => {
    if (req.params.app !== fake.applicationId) throw new DiscordApiError(403, 50001, 'Missing Access');
    return req.params.guild ? guildOf(req.params.guild).guild.id : undefined;
  };
  const commandRoutes = (prefix: string): Route[] => [
    route('GET', prefix, (req) => ok(fake.commands(appCheck(req)))),
    route('PUT', prefix, (req) => {
      const result = fake.commandStore.overwrite(
        req.body as RESTPostAPIApplicationCommandsJSONBody[],
        appCheck(req),
      );
      fake.emit('commands');
      return ok(result);
    }),
    route('POST', prefix, (req) => {
      const { command, created } = fake.commandStore.upsert(
        req.body as RESTPostAPIApplicationCommandsJSONBody,
        appCheck(req),
      );
      fake.emit('commands');
      return ok(command, created ? 201 : 200);
    }),
    route('GET', `${prefix}/:command`, (req) => {
      appCheck(req);
      const c = fake.commandStore.get(req.params.command!);
      if (!c) throw unknownCommand();
      return ok(c);
    }),
    route('PATCH', `${prefix}/:command`, (req) => {
      appCheck(req);
      const c = fake.commandStore.patch(req.params.command!, req.body as Body);
      if (!c) throw unknownCommand();
      fake.emit('commands');
      return ok(c);
    }),
    route('DELETE', `${prefix}/:command`, (req) => {
      appCheck(req);
      if (!fake.commandStore.delete(req.params.command!)) throw unknownCommand();
      fake.emit('commands');
      return noContent;
    }),
  ];

  const application = (): APIApplication =>
    ({
      id: fake.applicationId,
      name: fake.users.bot.username,
      icon: null,
      description: 'breedbot on a local fake Discord',
      bot_public: true,
      bot_require_code_grant: false,
      bot: fake.users.bot,
      summary: '',
      verify_key: '0'.repeat(64),
      team: null,
      flags: fake.applicationFlags,
      owner: fake.users.owner,
      approximate_guild_count: fake.guilds.length,
      interactions_endpoint_url: null,
      role_connections_verification_url: null,
      redirect_uris: [],
      event_webhooks_status: 1,
      flags_new: String(fake.applicationFlags),
    }) as APIApplication;

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

  const M = '/channels/:channel/messages/:message';
  return [
    route('GET', '/gateway', () => ok({ url: fake.gatewayUrl })),
    route('GET', '/gateway/bot', () =>
      ok({
        url: fake.gatewayUrl,
        shards: fake.options.shards,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
      } satisfies RESTGetAPIGatewayBotResult),
    ),
    route('GET', '/users/@me', () => ok(fake.users.bot)),
    route('GET', '/users/:user', (req) => {
      const u = Object.values(fake.users).find((x) => x.id === req.params.user);
      if (!u) throw unknownUser();
      return ok(u);
    }),
    route('POST', '/users/@me/channels', (req) => {
      const recipientId = String(((req.body ?? {}) as Body).recipient_id ?? '');
      const recipient = Object.values(fake.users).find((u) => u.id === recipientId);
      if (!recipient) throw unknownUser();
      return ok(fake.directMessages.open(recipient));
    }),
    route('GET', '/applications/@me', () => ok(application())),
    ...commandRoutes('/applications/:app/commands'),
    ...commandRoutes('/applications/:app/guilds/:guild/commands'),

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

    route('POST', '/interactions/:interaction/:token/callback', callback, false),
    route('POST', '/webhooks/:app/:token', followUp, false),
    route(
      'GET',
      '/webhooks/:app/:token/messages/:message',
      (req) => {
        const state = interactionByToken(req.params.app!, req.params.token!);
        return ok(restMessage(webhookMessage(state, req.params.message!)));
      },
      false,
    ),
    route(
      'PATCH',
      '/webhooks/:app/:token/messages/:message',
      async (req) => {
        const state = interactionByToken(req.params.app!, req.params.token!);
        const message = webhookMessage(state, req.params.message!);
        return editMessage(channelOf(message.channel_id).guild, message, req);
      },
      false,
    ),
    route(
      'DELETE',
      '/webhooks/:app/:token/messages/:message',
      (req) => {
        const state = interactionByToken(req.params.app!, req.params.token!);
        fake.messages.delete(webhookMessage(state, req.params.message!).id);
        return noContent;
      },
      false,
    ),

    route('GET', '/guilds/:guild', (req) => ok(guildOf(req.params.guild!).guild)),
    route('GET', '/guilds/:guild/channels', (req) => ok(guildOf(req.params.guild!).channels)),
    route('GET', '/guilds/:guild/roles', (req) => ok(guildOf(req.params.guild!).guild.roles)),
    route('GET', '/guilds/:guild/members', (req) => {
      const limit = Math.min(Number(req.query.get('limit') ?? 1), 1000);
      return ok([...guildOf(req.params.guild!).members.values()].slice(0, limit));
    }),
    route('GET', '/guilds/:guild/members/:user', (req) => {
      const member = guildOf(req.params.guild!).members.get(req.params.user!);
      if (!member) throw unknownMember();
      return ok(member);
    }),
  ];
}

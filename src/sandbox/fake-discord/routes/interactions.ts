import {
  ApplicationCommandType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageType,
  type APIApplicationCommandOptionChoice,
} from 'discord-api-types/v10';
import {
  DiscordApiError,
  invalidFormBody,
  unknownInteraction,
  unknownMessage,
  unknownWebhook,
} from '../errors.ts';
import type { FakeDiscordState } from '../fake-state.ts';
import type { ReceivedFile } from '../http-body.ts';
import { restMessage, type FakeMessage } from '../messages.ts';
import type { Route, RouteHandler } from '../router.ts';
import type { InteractionState } from '../types.ts';
import { noContent, ok, route, type Body, type RouteKit } from './kit.ts';

const INTERACTION_TOKEN_TTL_MS = 15 * 60_000;

/** Interaction callbacks and the interaction webhook (follow-ups, @original edits); they carry no bot token. */
export function interactionRoutes(fake: FakeDiscordState, kit: RouteKit): Route[] {
  const { channelOf, composeMessage, composeEdit, editMessage } = kit;

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

  return [
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
  ];
}

import {
  ApplicationCommandType,
  GatewayDispatchEvents,
  InteractionResponseType,
  InteractionType,
  type APIApplicationCommand,
  type APIApplicationCommandOptionChoice,
} from 'discord-api-types/v10';
import type { FakeDiscordState } from './fake-state.ts';
import {
  autocompleteInteraction,
  buildOptions,
  buttonInteraction,
  chatInputInteraction,
  messageCommandInteraction,
  type GuildInteraction,
  type InteractionContext,
} from './interactions.ts';
import { restMessage, type FakeMessage } from './messages.ts';
import type {
  AutocompleteInput,
  ButtonClickInput,
  InteractionHandle,
  InteractionState,
  MessageCommandInput,
  RunCommandInput,
} from './types.ts';
import { DEFAULT_TIMEOUT_MS } from './waiting.ts';

/** A person runs a slash command; options are typed from the registered command's definition. */
export async function runCommand(fake: FakeDiscordState, input: RunCommandInput): Promise<InteractionHandle> {
  const { ctx, command, path } = commandContext(fake, input, ApplicationCommandType.ChatInput);
  const built = await buildOptions(command, path, input.options ?? {}, ctx, (f) =>
    fake.cdn.upload(ctx.channel.id, f),
  );
  return sendInteraction(fake, chatInputInteraction(ctx, command, built));
}

/** A person types into an autocomplete option; resolves with the choices the bot answered. */
export async function autocomplete(
  fake: FakeDiscordState,
  input: AutocompleteInput,
  timeoutMs: number,
): Promise<APIApplicationCommandOptionChoice[]> {
  const { ctx, command, path } = commandContext(fake, input, ApplicationCommandType.ChatInput);
  const values = { ...(input.options ?? {}), [input.focusedOption]: input.value };
  const built = await buildOptions(
    command,
    path,
    values,
    ctx,
    (f) => fake.cdn.upload(ctx.channel.id, f),
    input.focusedOption,
  );
  const handle = sendInteraction(fake, autocompleteInteraction(ctx, command, built));
  const callback = await handle.acknowledged(timeoutMs);
  if (callback.type !== InteractionResponseType.ApplicationCommandAutocompleteResult)
    throw new Error(`the bot answered autocomplete with callback type ${callback.type}`);
  return (callback.data?.choices as APIApplicationCommandOptionChoice[] | undefined) ?? [];
}

/** A person picks a message context-menu command ("Apps ▸ Classify breed") on a message. */
export function runMessageCommand(fake: FakeDiscordState, input: MessageCommandInput): InteractionHandle {
  const { ctx, command } = commandContext(fake, input, ApplicationCommandType.Message);
  const target = fake.messages.get(input.targetMessageId);
  if (!target) throw new Error(`no message ${input.targetMessageId}`);
  return sendInteraction(fake, messageCommandInteraction(ctx, command, restMessage(target)));
}

/**
 * A person clicks a button on a message. Like the Discord client, only a button the message shows (and not
 * disabled) can be clicked, and an ephemeral message only by the person it was for. The interaction's
 * `@original` is that message.
 */
export function clickButton(fake: FakeDiscordState, input: ButtonClickInput): InteractionHandle {
  const user = fake.user(input.userId);
  const message = fake.messages.get(input.messageId);
  if (!message) throw new Error(`no message ${input.messageId}`);
  if (fake.messages.isEphemeral(message.id) && message.interaction_metadata?.user.id !== user.id)
    throw new Error(`${user.username} cannot see the ephemeral message ${message.id}`);
  const button = (message.components ?? [])
    .flatMap((row) => ('components' in row ? (row.components as object[]) : []))
    .map((c) => c as { custom_id?: string; disabled?: boolean })
    .find((c) => c.custom_id === input.customId);
  if (!button || button.disabled)
    throw new Error(`message ${message.id} has no clickable button "${input.customId}"`);
  const { guild, channel } = fake.requireChannel(message.channel_id);
  const ctx = { guild, channel, user, applicationId: fake.applicationId, botId: fake.users.bot.id };
  return sendInteraction(fake, buttonInteraction(ctx, restMessage(message), input.customId), message.id);
}

function commandContext(
  fake: FakeDiscordState,
  input: { name: string; userId: string; channelId: string },
  type: ApplicationCommandType,
): { ctx: InteractionContext; command: APIApplicationCommand; path: string[] } {
  const user = fake.user(input.userId);
  const { guild, channel } = fake.requireChannel(input.channelId);
  const [name, ...path] =
    type === ApplicationCommandType.ChatInput ? input.name.trim().split(/\s+/) : [input.name];
  const visible = fake.commandStore.visibleIn(guild.guild.id);
  const command = visible.find((c) => c.name === name && c.type === type);
  if (!command) {
    const known = visible.map((c) => c.name);
    throw new Error(
      `no registered command "${name}" of type ${type} (registered: ${known.join(', ') || 'none'})`,
    );
  }
  const ctx = { guild, channel, user, applicationId: fake.applicationId, botId: fake.users.bot.id };
  return { ctx, command, path };
}

function sendInteraction(
  fake: FakeDiscordState,
  payload: GuildInteraction,
  originalId?: string,
): InteractionHandle {
  const state: InteractionState = { payload, createdAt: Date.now(), followUpIds: [] };
  if (originalId) state.originalId = originalId;
  fake.interactions.set(payload.id, state);
  fake.gateway.dispatch(GatewayDispatchEvents.InteractionCreate, payload, payload.guild_id);
  const original = () => (state.originalId ? fake.messages.get(state.originalId) : undefined);
  /** The answer, once there is one: a deferred reply counts only after its first edit. */
  const answer = () => {
    const edit = state.originalId ? fake.messages.editState(state.originalId) : undefined;
    if (!edit) return undefined;
    const deferred = state.callback?.type === InteractionResponseType.DeferredChannelMessageWithSource;
    return deferred && !edit.edited ? undefined : original();
  };
  return {
    interaction: payload,
    acknowledged: (t = DEFAULT_TIMEOUT_MS) =>
      fake.waitUntil(() => state.callback, t, `a callback to interaction ${payload.id}`),
    reply: (t = DEFAULT_TIMEOUT_MS) => fake.waitUntil(answer, t, `the reply to ${describe(payload)}`),
    waitForReply: (predicate, t = DEFAULT_TIMEOUT_MS) =>
      fake.waitUntil(
        () => {
          const m = original();
          return m && predicate(m) ? m : undefined;
        },
        t,
        `a matching reply to ${describe(payload)}`,
      ),
    original,
    followUps: () =>
      state.followUpIds.map((id) => fake.messages.get(id)).filter((m): m is FakeMessage => !!m),
  };
}

function describe(payload: GuildInteraction): string {
  return payload.type === InteractionType.ApplicationCommand
    ? `/${payload.data.name}`
    : `interaction ${payload.id}`;
}

import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  ComponentType,
  InteractionContextType,
  InteractionType,
  Locale,
  type APIApplicationCommand,
  type APIApplicationCommandInteractionDataOption,
  type APIApplicationCommandOption,
  type APIAttachment,
  type APIChatInputApplicationCommandGuildInteraction,
  type APIApplicationCommandAutocompleteGuildInteraction,
  type APIInteractionDataResolved,
  type APIInteractionGuildMember,
  type APIMessage,
  type APIMessageApplicationCommandGuildInteraction,
  type APIMessageComponentGuildInteraction,
  type APITextChannel,
  type APIUser,
} from 'discord-api-types/v10';
import { snowflake } from './snowflake.ts';
import { memberPermissions, type FakeGuild } from './world.ts';
import type { UploadFile } from './cdn.ts';

/** A value for an option when running a command: strings/numbers/booleans as typed; ids for users/channels/roles; a file for attachments. */
export type OptionValue = string | number | boolean | UploadFile | APIAttachment;

export interface InteractionContext {
  guild: FakeGuild;
  channel: APITextChannel;
  user: APIUser;
  applicationId: string;
  botId: string;
}

export type GuildInteraction =
  | APIChatInputApplicationCommandGuildInteraction
  | APIApplicationCommandAutocompleteGuildInteraction
  | APIMessageApplicationCommandGuildInteraction
  | APIMessageComponentGuildInteraction;

function interactionMember(ctx: InteractionContext, userId: string): APIInteractionGuildMember {
  const m = ctx.guild.members.get(userId);
  if (!m?.user) throw new Error(`user ${userId} is not a member of ${ctx.guild.guild.name}`);
  return { ...m, user: m.user, permissions: memberPermissions(ctx.guild, userId).toString() };
}

/** The fields every guild interaction carries (discord.js drops or throws on several of them missing). */
function base(ctx: InteractionContext) {
  const permissions = memberPermissions(ctx.guild, ctx.user.id).toString();
  return {
    id: snowflake(),
    application_id: ctx.applicationId,
    token: `fake-interaction-token.${snowflake()}.${Math.random().toString(36).slice(2)}`,
    version: 1 as const,
    guild_id: ctx.guild.guild.id,
    guild: { id: ctx.guild.guild.id, locale: Locale.EnglishUS, features: [] },
    channel: { ...ctx.channel, permissions },
    channel_id: ctx.channel.id,
    member: interactionMember(ctx, ctx.user.id),
    app_permissions: memberPermissions(ctx.guild, ctx.botId).toString(),
    locale: Locale.EnglishUS,
    guild_locale: Locale.EnglishUS,
    entitlements: [],
    authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: ctx.guild.guild.id },
    context: InteractionContextType.Guild,
    attachment_size_limit: 10 * 1024 * 1024,
  };
}

export interface BuiltOptions {
  options: APIApplicationCommandInteractionDataOption[];
  resolved: APIInteractionDataResolved;
}

/**
 * Turns `{ breed: 'beagle' }` into typed interaction options following the registered command's option types,
 * the way the Discord client does. `path` names a subcommand (and group), e.g. ['rollback'].
 */
export async function buildOptions(
  command: APIApplicationCommand,
  path: string[],
  values: Record<string, OptionValue>,
  ctx: InteractionContext,
  upload: (file: UploadFile) => Promise<APIAttachment>,
  focused?: string,
): Promise<BuiltOptions> {
  const resolved: APIInteractionDataResolved = {};
  let level: APIApplicationCommandOption[] = command.options ?? [];
  const wrappers: { name: string; type: ApplicationCommandOptionType }[] = [];
  for (const name of path) {
    const sub = level.find(
      (o) =>
        o.name === name &&
        (o.type === ApplicationCommandOptionType.Subcommand ||
          o.type === ApplicationCommandOptionType.SubcommandGroup),
    );
    if (!sub || !('options' in sub)) throw new Error(`/${command.name} has no subcommand "${name}"`);
    wrappers.push({ name, type: sub.type });
    level = (sub.options ?? []) as APIApplicationCommandOption[];
  }
  if (
    level.some(
      (o) =>
        o.type === ApplicationCommandOptionType.Subcommand ||
        o.type === ApplicationCommandOptionType.SubcommandGroup,
    )
  )
    throw new Error(`/${[command.name, ...path].join(' ')} needs a subcommand`);

  const leaf: APIApplicationCommandInteractionDataOption[] = [];
  for (const [name, value] of Object.entries(values)) {
    const def = level.find((o) => o.name === name);
    if (!def) throw new Error(`/${[command.name, ...path].join(' ')} has no option "${name}"`);
    leaf.push(await typedOption(def, value, ctx, resolved, upload, name === focused));
  }
  for (const def of level)
    if ('required' in def && def.required && !(def.name in values) && def.name !== focused)
      throw new Error(`/${[command.name, ...path].join(' ')} needs option "${def.name}"`);

  let options: APIApplicationCommandInteractionDataOption[] = leaf;
  for (const w of wrappers.reverse())
    options = [{ name: w.name, type: w.type, options } as APIApplicationCommandInteractionDataOption];
  return { options, resolved };
}

async function typedOption(
  def: APIApplicationCommandOption,
  value: OptionValue,
  ctx: InteractionContext,
  resolved: APIInteractionDataResolved,
  upload: (file: UploadFile) => Promise<APIAttachment>,
  focused: boolean,
): Promise<APIApplicationCommandInteractionDataOption> {
  const T = ApplicationCommandOptionType;
  const name = def.name;
  // While typing, Discord sends the focused option's raw text whatever its type.
  if (focused)
    return {
      name,
      type: def.type,
      value: String(value),
      focused: true,
    } as APIApplicationCommandInteractionDataOption;
  switch (def.type) {
    case T.String:
      return { name, type: T.String, value: checkChoice(def, String(value)) };
    case T.Integer: {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new Error(`option "${name}" must be an integer`);
      return { name, type: T.Integer, value: checkChoice(def, n) };
    }
    case T.Number: {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new Error(`option "${name}" must be a number`);
      return { name, type: T.Number, value: checkChoice(def, n) };
    }
    case T.Boolean:
      return { name, type: T.Boolean, value: value === true || value === 'true' };
    case T.User:
    case T.Mentionable: {
      const id = String(value);
      const member = ctx.guild.members.get(id);
      if (member?.user) {
        (resolved.users ??= {})[id] = member.user;
        const { user: _user, ...rest } = member;
        (resolved.members ??= {})[id] = { ...rest, permissions: memberPermissions(ctx.guild, id).toString() };
      } else if (def.type === T.Mentionable && ctx.guild.guild.roles.some((r) => r.id === id)) {
        (resolved.roles ??= {})[id] = ctx.guild.guild.roles.find((r) => r.id === id)!;
      } else throw new Error(`option "${name}": no member or role ${id}`);
      return { name, type: def.type, value: id } as APIApplicationCommandInteractionDataOption;
    }
    case T.Channel: {
      const channel = ctx.guild.channels.find((c) => c.id === String(value));
      if (!channel) throw new Error(`option "${name}": no channel ${String(value)}`);
      (resolved.channels ??= {})[channel.id] = {
        id: channel.id,
        name: channel.name,
        type: channel.type,
        permissions: memberPermissions(ctx.guild, ctx.user.id).toString(),
      } as NonNullable<APIInteractionDataResolved['channels']>[string];
      return { name, type: T.Channel, value: channel.id };
    }
    case T.Role: {
      const role = ctx.guild.guild.roles.find((r) => r.id === String(value));
      if (!role) throw new Error(`option "${name}": no role ${String(value)}`);
      (resolved.roles ??= {})[role.id] = role;
      return { name, type: T.Role, value: role.id };
    }
    case T.Attachment: {
      if (typeof value !== 'object') throw new Error(`option "${name}" needs a file ({ filename, bytes })`);
      const attachment = 'bytes' in value ? await upload(value) : value;
      (resolved.attachments ??= {})[attachment.id] = attachment;
      return { name, type: T.Attachment, value: attachment.id };
    }
    default:
      throw new Error(`option "${name}" has unsupported type ${def.type}`);
  }
}

function checkChoice<V extends string | number>(def: APIApplicationCommandOption, value: V): V {
  const choices = 'choices' in def ? (def.choices as { value: string | number }[] | undefined) : undefined;
  if (choices?.length && !choices.some((c) => c.value === value))
    throw new Error(
      `option "${def.name}" must be one of ${choices.map((c) => JSON.stringify(c.value)).join(', ')}`,
    );
  return value;
}

/** What every command interaction's data starts with. */
function commandHeader(ctx: InteractionContext, command: APIApplicationCommand) {
  return { id: command.id, name: command.name, guild_id: ctx.guild.guild.id };
}

export function chatInputInteraction(
  ctx: InteractionContext,
  command: APIApplicationCommand,
  built: BuiltOptions,
): APIChatInputApplicationCommandGuildInteraction {
  return {
    ...base(ctx),
    type: InteractionType.ApplicationCommand,
    data: {
      ...commandHeader(ctx, command),
      type: ApplicationCommandType.ChatInput,
      ...(built.options.length ? { options: built.options } : {}),
      ...(Object.keys(built.resolved).length ? { resolved: built.resolved } : {}),
    },
  };
}

export function autocompleteInteraction(
  ctx: InteractionContext,
  command: APIApplicationCommand,
  built: BuiltOptions,
): APIApplicationCommandAutocompleteGuildInteraction {
  return {
    ...base(ctx),
    type: InteractionType.ApplicationCommandAutocomplete,
    data: {
      ...commandHeader(ctx, command),
      type: ApplicationCommandType.ChatInput,
      options: built.options,
    },
  } as APIApplicationCommandAutocompleteGuildInteraction;
}

export function messageCommandInteraction(
  ctx: InteractionContext,
  command: APIApplicationCommand,
  target: APIMessage,
): APIMessageApplicationCommandGuildInteraction {
  return {
    ...base(ctx),
    type: InteractionType.ApplicationCommand,
    data: {
      ...commandHeader(ctx, command),
      type: ApplicationCommandType.Message,
      target_id: target.id,
      resolved: { messages: { [target.id]: target } },
    },
  };
}

/** A click on a button of `message`. */
export function buttonInteraction(
  ctx: InteractionContext,
  message: APIMessage,
  customId: string,
): APIMessageComponentGuildInteraction {
  return {
    ...base(ctx),
    type: InteractionType.MessageComponent,
    message,
    data: { custom_id: customId, component_type: ComponentType.Button },
  } as APIMessageComponentGuildInteraction;
}

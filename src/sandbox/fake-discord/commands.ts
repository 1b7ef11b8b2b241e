import {
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  type APIApplicationCommand,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord-api-types/v10';
import { invalidFormBody } from './errors.ts';
import { snowflake } from './snowflake.ts';

/** Registered application commands, global (guildId undefined) or per guild, as Discord stores them. */
export class CommandStore {
  private readonly commands = new Map<string, APIApplicationCommand>();

  constructor(private readonly applicationId: string) {}

  list(guildId?: string): APIApplicationCommand[] {
    return [...this.commands.values()].filter((c) => c.guild_id === guildId);
  }

  get(id: string): APIApplicationCommand | undefined {
    return this.commands.get(id);
  }

  /** What a user in this guild can run: the guild's commands first, then global ones. */
  visibleIn(guildId: string): APIApplicationCommand[] {
    return [...this.list(guildId), ...this.list(undefined)];
  }

  /** PUT: replaces the whole set; a command with the same name and type keeps its id, as on Discord. */
  overwrite(bodies: RESTPostAPIApplicationCommandsJSONBody[], guildId?: string): APIApplicationCommand[] {
    if (!Array.isArray(bodies)) throw invalidFormBody('_root', 'LIST_TYPE_CONVERT', 'Must be an array.');
    const previous = this.list(guildId);
    for (const c of previous) this.commands.delete(c.id);
    return bodies.map((body, i) => {
      const same = previous.find(
        (c) => c.name === body.name && c.type === (body.type ?? ApplicationCommandType.ChatInput),
      );
      return this.store(body, guildId, same?.id, `${i}.`);
    });
  }

  /** POST: creates, or updates the command with the same name and type. */
  upsert(
    body: RESTPostAPIApplicationCommandsJSONBody,
    guildId?: string,
  ): { command: APIApplicationCommand; created: boolean } {
    const same = this.list(guildId).find(
      (c) => c.name === body.name && c.type === (body.type ?? ApplicationCommandType.ChatInput),
    );
    return { command: this.store(body, guildId, same?.id, ''), created: !same };
  }

  patch(
    id: string,
    body: Partial<RESTPostAPIApplicationCommandsJSONBody>,
  ): APIApplicationCommand | undefined {
    const current = this.commands.get(id);
    if (!current) return undefined;
    return this.store(
      { ...current, ...body } as RESTPostAPIApplicationCommandsJSONBody,
      current.guild_id,
      id,
      '',
    );
  }

  delete(id: string): boolean {
    return this.commands.delete(id);
  }

  private store(
    body: RESTPostAPIApplicationCommandsJSONBody,
    guildId: string | undefined,
    id: string | undefined,
    at: string,
  ): APIApplicationCommand {
    const type = body.type ?? ApplicationCommandType.ChatInput;
    validate(body, type, at);
    const command: APIApplicationCommand = {
      id: id ?? snowflake(),
      type,
      application_id: this.applicationId,
      name: body.name,
      name_localizations: body.name_localizations ?? null,
      description:
        type === ApplicationCommandType.ChatInput
          ? ((body as { description?: string }).description ?? '')
          : '',
      description_localizations: null,
      ...('options' in body && body.options
        ? { options: body.options as APIApplicationCommand['options'] }
        : {}),
      default_member_permissions: body.default_member_permissions ?? null,
      dm_permission: body.dm_permission ?? true,
      nsfw: body.nsfw ?? false,
      integration_types: body.integration_types ?? [ApplicationIntegrationType.GuildInstall],
      contexts: body.contexts ?? [
        InteractionContextType.Guild,
        InteractionContextType.BotDM,
        InteractionContextType.PrivateChannel,
      ],
      version: snowflake(),
      ...(guildId ? { guild_id: guildId } : {}),
    };
    this.commands.set(command.id, command);
    return command;
  }
}

const CHAT_INPUT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function validate(
  body: RESTPostAPIApplicationCommandsJSONBody,
  type: ApplicationCommandType,
  at: string,
): void {
  if (typeof body.name !== 'string' || body.name.length < 1 || body.name.length > 32)
    throw invalidFormBody(`${at}name`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 32 in length.');
  if (type === ApplicationCommandType.ChatInput) {
    if (!CHAT_INPUT_NAME.test(body.name) || body.name !== body.name.toLowerCase())
      throw invalidFormBody(`${at}name`, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
    const description = (body as { description?: string }).description ?? '';
    if (description.length < 1 || description.length > 100)
      throw invalidFormBody(
        `${at}description`,
        'BASE_TYPE_BAD_LENGTH',
        'Must be between 1 and 100 in length.',
      );
  }
}

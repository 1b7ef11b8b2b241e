import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  MessageContextMenuCommandInteraction,
  RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import type { Breedbot, TrainingControl } from '../app/types.ts';
import type { Logger } from '../log.ts';

/** What a command may use. Commands hold no business logic: they parse options, call `app`, render. */
export interface CommandContext {
  app: Breedbot;
  /** Plugged in by the learning loop; absent until then. */
  training?: TrainingControl;
  log: Logger;
}

export interface CommandData {
  readonly name: string;
  toJSON(): RESTPostAPIApplicationCommandsJSONBody;
}

export interface SlashCommandModule {
  data: CommandData;
  execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void>;
}

export interface MessageCommandModule {
  data: CommandData;
  execute(interaction: MessageContextMenuCommandInteraction, ctx: CommandContext): Promise<void>;
}

export type LoadedCommand =
  ({ kind: 'slash' } & SlashCommandModule) | ({ kind: 'message' } & MessageCommandModule);

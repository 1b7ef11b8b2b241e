import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  MessageContextMenuCommandInteraction,
  RESTPostAPIApplicationCommandsJSONBody,
  SlashCommandBuilder,
  SlashCommandSubcommandBuilder,
} from 'discord.js';
import type { Breedbot } from '../app/breedbot.ts';
import type { TrainingControl } from '../features/training/types.ts';
import type { Logger } from '../log.ts';

/** What a command may use. Commands hold no business logic: they parse options, call `app`, render. */
export interface CommandContext {
  app: Breedbot;
  /** Plugged in by the learning loop; absent until then. */
  training?: TrainingControl;
  log: Logger;
  /**
   * Runs the work a command does after deferring (database, model): once no interaction waits for its
   * acknowledgement (capped), and only a few at a time, so a burst is acknowledged first and cannot flood
   * the database with hundreds of queries at once.
   */
  afterAcknowledgements<T>(work: () => Promise<T>): Promise<T>;
}

export interface CommandData {
  readonly name: string;
  toJSON(): RESTPostAPIApplicationCommandsJSONBody;
}

/**
 * Who may run a command or subcommand. With `moderatorOnly: true` the router refuses anyone who is not a
 * moderator ("Only moderators can <action>") before `execute` runs: Discord's default member permissions are
 * only a hint that server admins can override, so this check stays on the bot's side.
 */
export type Access = { moderatorOnly?: false } | { moderatorOnly: true; action: string };

interface SlashHandlers {
  execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void>;
}

/** A file in commands/ that is one slash command (`export default { … } satisfies SlashCommand`). */
export type SlashCommand = { data: CommandData } & Access & SlashHandlers;

/** A file in commands/ that is one message context-menu command. */
export type MessageCommand = {
  data: CommandData;
  execute(interaction: MessageContextMenuCommandInteraction, ctx: CommandContext): Promise<void>;
} & Access;

export type Command = SlashCommand | MessageCommand;

/**
 * commands/<name>/_command.ts: a slash command whose subcommands are the other files in its folder. `data` is
 * the builder without subcommands; `order` lists them as Discord shows them (by default the files' order).
 */
export interface CommandGroup {
  data: SlashCommandBuilder;
  order?: readonly string[];
}

/** commands/<name>/<sub>.ts: one subcommand; `data` fills in the builder the group hands it (name included). */
export type Subcommand = {
  data(builder: SlashCommandSubcommandBuilder): SlashCommandSubcommandBuilder;
} & Access &
  SlashHandlers;

export type LoadedCommand = ({ kind: 'slash' } & SlashCommand) | ({ kind: 'message' } & MessageCommand);

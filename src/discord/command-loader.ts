/**
 * Loads the commands under commands/ and indexes them by kind and name. Each file exports one command object
 * (`export default { data, execute } satisfies SlashCommand`); a folder is one slash command: its `_command.ts`
 * holds the command's own definition and each other file one subcommand. A file that does not fit fails loudly
 * at start-up instead of silently missing from Discord. What a command declares `moderatorOnly` runs behind the
 * shared moderator check.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ApplicationCommandType,
  Collection,
  type Interaction,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import { projectRoot } from '../config.ts';
import type { Access, CommandContext, CommandGroup, LoadedCommand, Subcommand } from './command-types.ts';
import { checkAccess } from './permissions.ts';
import { groupCommand } from './subcommand-group.ts';

export const commandsDir = path.join(projectRoot, 'commands');

/** The file that makes a folder one slash command. */
const GROUP_FILE = '_command.ts';

export interface CommandSet {
  slash: Collection<string, LoadedCommand & { kind: 'slash' }>;
  message: Collection<string, LoadedCommand & { kind: 'message' }>;
  /** The registration payloads, in file order. */
  json: RESTPostAPIApplicationCommandsJSONBody[];
}

type Module = Record<string, unknown>;

const isCommandFile = (f: string) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('_');

async function importCommand(file: string, shownAs: string): Promise<Module> {
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  if (!mod.default || typeof mod.default !== 'object')
    throw new Error(`${shownAs}: must export a default command object`);
  return mod.default as Module;
}

function checkHandlers(file: string, mod: Module): void {
  if (typeof mod.execute !== 'function') throw new Error(`${file}: must export an \`execute\` function`);
  if (mod.autocomplete !== undefined && typeof mod.autocomplete !== 'function')
    throw new Error(`${file}: \`autocomplete\` must be a function`);
  if (mod.moderatorOnly === true && typeof mod.action !== 'string')
    throw new Error(`${file}: a \`moderatorOnly\` command names its \`action\` (for the refusal)`);
}

/** The router's precondition: one await for the moderator check, then the command itself. */
function guarded<T extends Access & { execute(interaction: never, ctx: CommandContext): Promise<void> }>(
  command: T,
): T {
  if (!command.moderatorOnly) return command;
  const run = command.execute.bind(command) as (
    interaction: Interaction,
    ctx: CommandContext,
  ) => Promise<void>;
  const execute = async (interaction: Interaction, ctx: CommandContext) => {
    await checkAccess(command, interaction, ctx.app);
    await run(interaction, ctx);
  };
  return { ...command, execute };
}

function validate(file: string, mod: Module): LoadedCommand {
  const data = mod.data as { name?: unknown; toJSON?: unknown } | undefined;
  if (!data || typeof data.toJSON !== 'function' || typeof data.name !== 'string') {
    throw new Error(`${file}: must export \`data\` (a SlashCommandBuilder or ContextMenuCommandBuilder)`);
  }
  checkHandlers(file, mod);
  const json = (data.toJSON as () => RESTPostAPIApplicationCommandsJSONBody)();
  const type = json.type ?? ApplicationCommandType.ChatInput;
  if (type === ApplicationCommandType.ChatInput) return guarded({ kind: 'slash', ...mod } as LoadedCommand);
  if (type === ApplicationCommandType.Message) return guarded({ kind: 'message', ...mod } as LoadedCommand);
  throw new Error(`${file}: unsupported command type ${type}`);
}

/** Loaded once per folder: the group's builder is a module's own object, and its subcommands go on it once. */
const groups = new Map<string, Promise<LoadedCommand>>();

function loadGroup(dir: string): Promise<LoadedCommand> {
  let loaded = groups.get(dir);
  if (!loaded) {
    loaded = buildGroup(dir);
    groups.set(dir, loaded);
  }
  return loaded;
}

async function buildGroup(dir: string): Promise<LoadedCommand> {
  const name = path.basename(dir);
  const group = (await importCommand(
    path.join(dir, GROUP_FILE),
    `${name}/${GROUP_FILE}`,
  )) as unknown as CommandGroup;
  const subcommands = new Map<string, Subcommand>();
  for (const file of readdirSync(dir).filter(isCommandFile).sort()) {
    const shownAs = `${name}/${file}`;
    const sub = await importCommand(path.join(dir, file), shownAs);
    if (typeof sub.data !== 'function')
      throw new Error(`${shownAs}: \`data\` must fill in a subcommand builder`);
    checkHandlers(shownAs, sub);
    subcommands.set(file.replace(/\.(ts|js)$/, ''), guarded(sub as unknown as Subcommand));
  }
  return validate(`${name}/${GROUP_FILE}`, groupCommand(group, subcommands) as unknown as Module);
}

export async function loadCommands(dir = commandsDir): Promise<CommandSet> {
  const set: CommandSet = { slash: new Collection(), message: new Collection(), json: [] };
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    let command: LoadedCommand;
    if (statSync(full).isDirectory()) command = await loadGroup(full);
    else if (isCommandFile(entry)) command = validate(entry, await importCommand(full, entry));
    else continue;
    const collection = command.kind === 'slash' ? set.slash : set.message;
    if (collection.has(command.data.name))
      throw new Error(`${entry}: a second command named "${command.data.name}"`);
    collection.set(command.data.name, command as never);
    set.json.push(command.data.toJSON());
  }
  return set;
}

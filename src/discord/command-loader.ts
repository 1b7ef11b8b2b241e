/**
 * Loads every command file under commands/ (discord.js guide style: each exports `data` and `execute`),
 * checks its shape and indexes it by kind and name. A file that does not fit fails loudly at start-up
 * instead of silently missing from Discord.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ApplicationCommandType, Collection, type RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import { projectRoot } from '../config.ts';
import type { LoadedCommand } from './command-types.ts';

export const commandsDir = path.join(projectRoot, 'commands');

export interface CommandSet {
  slash: Collection<string, LoadedCommand & { kind: 'slash' }>;
  message: Collection<string, LoadedCommand & { kind: 'message' }>;
  /** The registration payloads, in file order. */
  json: RESTPostAPIApplicationCommandsJSONBody[];
}

function validate(file: string, mod: Record<string, unknown>): LoadedCommand {
  const data = mod.data as { name?: unknown; toJSON?: unknown } | undefined;
  if (!data || typeof data.toJSON !== 'function' || typeof data.name !== 'string') {
    throw new Error(`${file}: must export \`data\` (a SlashCommandBuilder or ContextMenuCommandBuilder)`);
  }
  if (typeof mod.execute !== 'function') throw new Error(`${file}: must export an \`execute\` function`);
  if (mod.autocomplete !== undefined && typeof mod.autocomplete !== 'function') {
    throw new Error(`${file}: \`autocomplete\` must be a function`);
  }
  const json = (data.toJSON as () => RESTPostAPIApplicationCommandsJSONBody)();
  const type = json.type ?? ApplicationCommandType.ChatInput;
  if (type === ApplicationCommandType.ChatInput)
    return { kind: 'slash', ...(mod as object) } as LoadedCommand;
  if (type === ApplicationCommandType.Message)
    return { kind: 'message', ...(mod as object) } as LoadedCommand;
  throw new Error(`${file}: unsupported command type ${type}`);
}

export async function loadCommands(dir = commandsDir): Promise<CommandSet> {
  const files = readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('_'))
    .sort();
  const set: CommandSet = { slash: new Collection(), message: new Collection(), json: [] };
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as Record<string, unknown>;
    const command = validate(file, mod);
    const collection = command.kind === 'slash' ? set.slash : set.message;
    if (collection.has(command.data.name))
      throw new Error(`${file}: a second command named "${command.data.name}"`);
    collection.set(command.data.name, command as never);
    set.json.push(command.data.toJSON());
  }
  return set;
}

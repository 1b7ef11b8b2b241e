import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { CommandGroup } from '../../src/discord/command-types.ts';

export const MAX_VERSION_LENGTH = 100;

/** Progress edits at most this often (Discord rate-limits message edits). */
export const PROGRESS_EVERY_MS = 2000;

export default {
  data: new SlashCommandBuilder()
    .setName('model')
    .setDescription('The breed model: which version serves, how good it is, its history')
    .setContexts(InteractionContextType.Guild),
  order: ['info', 'rollback', 'switch'],
} satisfies CommandGroup;

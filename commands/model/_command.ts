import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { CommandGroup } from '../../src/discord/command-types.ts';

export const MAX_VERSION_LENGTH = 100;

export default {
  data: new SlashCommandBuilder()
    .setName('model')
    .setDescription('The breed model: which version serves, how good it is, its history')
    .setContexts(InteractionContextType.Guild),
  order: ['info', 'rollback', 'switch'],
} satisfies CommandGroup;

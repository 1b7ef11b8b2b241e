import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { CommandGroup } from '../../src/discord/command-types.ts';

/** Moderators' tools against label poisoning: purge one person's labels, review the most disputed photos. */
export default {
  data: new SlashCommandBuilder()
    .setName('moderate')
    .setDescription("Moderate people's labels (moderators)")
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild),
  order: ['purge', 'review'],
} satisfies CommandGroup;

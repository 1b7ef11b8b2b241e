import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { CommandGroup } from '../../src/discord/command-types.ts';

/** Moderators' server settings: where photos are classified, the moderator role, and rate limits. */
export default {
  data: new SlashCommandBuilder()
    .setName('settings')
    .setDescription("breedbot's settings for this server (moderators)")
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild),
  order: ['show', 'channel', 'auto-classify', 'moderator-role', 'rate-limits'],
} satisfies CommandGroup;

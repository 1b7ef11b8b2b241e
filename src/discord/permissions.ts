import { GuildMember, PermissionFlagsBits, type Interaction } from 'discord.js';
import { permissionDenied } from '../refusals.ts';
import type { Breedbot } from '../app/breedbot.ts';
import type { Access } from './command-types.ts';

/**
 * Moderators: Manage Server, or the guild's configured moderator role. Checked on the bot's side, because
 * default member permissions on a command are only a hint that server admins can override.
 */
export function isModerator(interaction: Interaction, moderatorRoleId: string | null): boolean {
  if (!interaction.inGuild()) return false;
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
  if (!moderatorRoleId) return false;
  const member = interaction.member;
  if (member instanceof GuildMember) return member.roles.cache.has(moderatorRoleId);
  return Array.isArray(member.roles) && member.roles.includes(moderatorRoleId);
}

/** The one moderator check of every command: reads the server's moderator role only when Manage Server is not enough. */
export async function callerIsModerator(interaction: Interaction, app: Breedbot): Promise<boolean> {
  if (!interaction.inGuild()) return false;
  if (isModerator(interaction, null)) return true;
  const { moderatorRoleId } = await app.guildSettings(interaction.guildId);
  return isModerator(interaction, moderatorRoleId);
}

/** A command's precondition: throws the user-facing refusal when it is for moderators and the caller is not one. */
export async function checkAccess(access: Access, interaction: Interaction, app: Breedbot): Promise<void> {
  if (access.moderatorOnly && !(await callerIsModerator(interaction, app)))
    throw permissionDenied(access.action);
}

import { GuildMember, PermissionFlagsBits, type Interaction } from 'discord.js';
import { permissionDenied } from '../app/errors.ts';

/**
 * Moderators: Manage Server, or the guild's configured moderator role. Checked in every handler, because
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

/** Throws the user-facing refusal unless the caller is a moderator. */
export function requireModerator(
  interaction: Interaction,
  moderatorRoleId: string | null,
  action: string,
): void {
  if (!isModerator(interaction, moderatorRoleId)) throw permissionDenied(action);
}

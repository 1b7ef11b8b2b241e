/** What every /settings subcommand answers: a sentence about the change (if any) above the settings as they are now. */
import { EmbedBuilder, MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { RateLimitName } from '../../src/app/rate-limits.ts';
import type { GuildSettingsReport } from '../../src/features/settings/types.ts';
import type { CommandContext } from '../../src/discord/command-types.ts';
import { NO_MENTIONS } from '../../src/discord/render.ts';

/** What a non-moderator is told they cannot do when they change a setting. */
export const CHANGE_ACTION = "change breedbot's settings";

const RATE_LABELS: Record<RateLimitName, string> = {
  classifyPerUser: 'Classifications per person',
  classifyPerGuild: 'Classifications per server',
  labelPerUser: 'Labels per person',
  labelPerGuild: 'Labels per server',
};

const perMinute = (n: number) => (n === 0 ? 'off' : `${n} per minute`);

export function settingsEmbed(settings: GuildSettingsReport): EmbedBuilder {
  const channels = settings.enabledChannelIds.length
    ? settings.enabledChannelIds.map((id) => `<#${id}>`).join(', ')
    : 'every channel (none listed)';
  const limits = (Object.keys(RATE_LABELS) as RateLimitName[]).map((name) => {
    const { perMinute: n, isDefault } = settings.rateLimits[name];
    return `${RATE_LABELS[name]}: ${perMinute(n)}${isDefault ? ' (default)' : ''}`;
  });
  return new EmbedBuilder().setTitle('breedbot settings for this server').addFields(
    { name: 'Auto-classify', value: settings.autoClassify ? 'on' : 'off', inline: true },
    { name: 'Channels', value: channels, inline: true },
    {
      name: 'Moderator role',
      // A role mention shows the role's name without pinging it (NO_MENTIONS).
      value: settings.moderatorRoleId
        ? `<@&${settings.moderatorRoleId}> (and Manage Server)`
        : 'none (Manage Server only)',
    },
    { name: 'Rate limits', value: limits.join('\n') },
  );
}

/** Logs the change and answers the moderator (only they see it). */
export async function replyWithSettings(
  interaction: ChatInputCommandInteraction,
  ctx: CommandContext,
  summary: string,
  settings: GuildSettingsReport,
): Promise<void> {
  const sub = interaction.options.getSubcommand();
  ctx.log.info({ moderator: interaction.user.id, guildId: interaction.guildId, sub }, 'settings changed');
  await interaction.reply({
    ...(summary ? { content: summary } : {}),
    embeds: [settingsEmbed(settings)],
    flags: MessageFlags.Ephemeral,
    allowedMentions: NO_MENTIONS,
  });
}

import {
  ChannelType,
  EmbedBuilder,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { UserFacingError } from '../src/app/errors.ts';
import type { RateLimitName } from '../src/app/rate-limits.ts';
import type { ChannelChange, GuildSettingsReport } from '../src/app/types.ts';
import type { CommandContext } from '../src/discord/command-types.ts';
import { requireModerator } from '../src/discord/permissions.ts';
import { NO_MENTIONS } from '../src/discord/render.ts';

const MAX_PER_MINUTE = 10_000;

/** Option name → the setting it changes. */
const RATE_OPTIONS: Record<string, RateLimitName> = {
  'classify-per-user': 'classifyPerUser',
  'classify-per-server': 'classifyPerGuild',
  'label-per-user': 'labelPerUser',
  'label-per-server': 'labelPerGuild',
};

const RATE_LABELS: Record<RateLimitName, string> = {
  classifyPerUser: 'Classifications per person',
  classifyPerGuild: 'Classifications per server',
  labelPerUser: 'Labels per person',
  labelPerGuild: 'Labels per server',
};

/** Moderators' server settings: where photos are classified, the moderator role, and rate limits. */
export const data = new SlashCommandBuilder()
  .setName('settings')
  .setDescription("breedbot's settings for this server (moderators)")
  .setContexts(InteractionContextType.Guild)
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .addSubcommand((s) => s.setName('show').setDescription('The current settings'))
  .addSubcommand((s) =>
    s
      .setName('channel')
      .setDescription('Classify posted photos in a channel, or stop (no channel listed = every channel)')
      .addChannelOption((o) =>
        o
          .setName('channel')
          .setDescription('The channel')
          .addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement)
          .setRequired(true),
      )
      .addBooleanOption((o) =>
        o.setName('enabled').setDescription('Classify photos posted there').setRequired(true),
      ),
  )
  .addSubcommand((s) =>
    s
      .setName('auto-classify')
      .setDescription('Classify photos people post (the /classify command and menu always work)')
      .addBooleanOption((o) => o.setName('enabled').setDescription('On or off').setRequired(true)),
  )
  .addSubcommand((s) =>
    s
      .setName('moderator-role')
      .setDescription('A role whose members may moderate breedbot, besides Manage Server')
      .addRoleOption((o) => o.setName('role').setDescription('The role (leave out to clear it)')),
  )
  .addSubcommand((s) => {
    s.setName('rate-limits').setDescription('Per-minute limits in this server (0 = off)');
    for (const name of Object.keys(RATE_OPTIONS)) {
      s.addIntegerOption((o) =>
        o.setName(name).setDescription('Per minute, 0 = off').setMinValue(0).setMaxValue(MAX_PER_MINUTE),
      );
    }
    return s.addBooleanOption((o) =>
      o.setName('reset').setDescription('Back to the defaults first (then apply any values given)'),
    );
  });

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

function channelSentence(change: ChannelChange, channelId: string, settings: GuildSettingsReport): string {
  const where = `<#${channelId}>`;
  const sentence = {
    added: `Photos posted in ${where} are classified now.`,
    'already-listed': `${where} was already listed.`,
    removed: `Photos posted in ${where} are no longer classified.`,
    'not-listed': `${where} was not listed: nothing changed.`,
  }[change];
  if (settings.enabledChannelIds.length === 0)
    return `${sentence} No channel is listed now, so photos are classified in **every** channel.`;
  if (change === 'added' && settings.enabledChannelIds.length === 1)
    return `${sentence} Only the listed channels classify photos; the others stay quiet.`;
  return sentence;
}

async function applyChange(
  interaction: ChatInputCommandInteraction,
  ctx: CommandContext,
  guildId: string,
  sub: string,
): Promise<{ summary: string; settings: GuildSettingsReport }> {
  switch (sub) {
    case 'channel': {
      const channel = interaction.options.getChannel('channel', true);
      const { change, settings } = await ctx.app.setChannelEnabled(
        guildId,
        channel.id,
        interaction.options.getBoolean('enabled', true),
      );
      return { summary: channelSentence(change, channel.id, settings), settings };
    }
    case 'auto-classify': {
      const enabled = interaction.options.getBoolean('enabled', true);
      const settings = await ctx.app.updateGuildSettings(guildId, { autoClassify: enabled });
      const summary = enabled
        ? 'Photos people post are classified again.'
        : 'Photos people post are no longer classified; `/classify` and the "Classify breed" menu still work.';
      return { summary, settings };
    }
    case 'moderator-role': {
      const role = interaction.options.getRole('role');
      // @everyone's id is the server's: as the moderator role it would make everyone a moderator.
      if (role?.id === guildId)
        throw new UserFacingError('bad-argument', 'The @everyone role would make everyone a moderator.');
      const settings = await ctx.app.updateGuildSettings(guildId, { moderatorRoleId: role?.id ?? null });
      const summary = role
        ? `Members with <@&${role.id}> are moderators for breedbot now.`
        : 'No moderator role now: only members with Manage Server moderate.';
      return { summary, settings };
    }
    case 'rate-limits': {
      const reset = interaction.options.getBoolean('reset') ?? false;
      const rateLimits: Partial<Record<RateLimitName, number | null>> = {};
      if (reset) for (const name of Object.values(RATE_OPTIONS)) rateLimits[name] = null;
      for (const [option, name] of Object.entries(RATE_OPTIONS)) {
        const value = interaction.options.getInteger(option);
        if (value !== null) rateLimits[name] = value;
      }
      if (Object.keys(rateLimits).length === 0)
        return { summary: 'Nothing to change.', settings: await ctx.app.guildSettingsReport(guildId) };
      const settings = await ctx.app.updateGuildSettings(guildId, { rateLimits });
      const onlyReset = reset && Object.values(rateLimits).every((v) => v === null);
      return {
        summary: onlyReset ? 'Rate limits are back to the defaults.' : 'Rate limits updated.',
        settings,
      };
    }
    default:
      return { summary: '', settings: await ctx.app.guildSettingsReport(guildId) };
  }
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const guildId = interaction.guildId!;
  const sub = interaction.options.getSubcommand();
  const current = await ctx.app.guildSettings(guildId);
  requireModerator(
    interaction,
    current.moderatorRoleId,
    sub === 'show' ? "see breedbot's settings" : "change breedbot's settings",
  );

  const { summary, settings } = await applyChange(interaction, ctx, guildId, sub);
  if (sub !== 'show') {
    ctx.log.info({ moderator: interaction.user.id, guildId, sub }, 'settings changed');
  }
  await interaction.reply({
    ...(summary ? { content: summary } : {}),
    embeds: [settingsEmbed(settings)],
    flags: MessageFlags.Ephemeral,
    allowedMentions: NO_MENTIONS,
  });
}

import { ChannelType, type ChatInputCommandInteraction } from 'discord.js';
import type { ChannelChange, GuildSettingsReport } from '../../src/features/settings/types.ts';
import type { CommandContext, Subcommand } from '../../src/discord/command-types.ts';
import { CHANGE_ACTION, replyWithSettings } from './_reply.ts';

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

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const channel = interaction.options.getChannel('channel', true);
  const { change, settings } = await ctx.app.setChannelEnabled(
    interaction.guildId!,
    channel.id,
    interaction.options.getBoolean('enabled', true),
  );
  await replyWithSettings(interaction, ctx, channelSentence(change, channel.id, settings), settings);
}

export default {
  data: (s) =>
    s
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
  moderatorOnly: true,
  action: CHANGE_ACTION,
  execute,
} satisfies Subcommand;

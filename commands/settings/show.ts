import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext, Subcommand } from '../../src/discord/command-types.ts';
import { NO_MENTIONS } from '../../src/discord/render.ts';
import { settingsEmbed } from './_reply.ts';

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const settings = await ctx.app.guildSettingsReport(interaction.guildId!);
  await interaction.reply({
    embeds: [settingsEmbed(settings)],
    flags: MessageFlags.Ephemeral,
    allowedMentions: NO_MENTIONS,
  });
}

export default {
  data: (s) => s.setDescription('The current settings'),
  moderatorOnly: true,
  action: "see breedbot's settings",
  execute,
} satisfies Subcommand;

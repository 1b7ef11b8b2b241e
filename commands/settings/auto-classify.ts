import type { ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext, Subcommand } from '../../src/discord/command-types.ts';
import { CHANGE_ACTION, replyWithSettings } from './_reply.ts';

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const enabled = interaction.options.getBoolean('enabled', true);
  const settings = await ctx.app.updateGuildSettings(interaction.guildId!, { autoClassify: enabled });
  const summary = enabled
    ? 'Photos people post are classified again.'
    : 'Photos people post are no longer classified; `/classify` and the "Classify breed" menu still work.';
  await replyWithSettings(interaction, ctx, summary, settings);
}

export default {
  data: (s) =>
    s
      .setDescription('Classify photos people post (the /classify command and menu always work)')
      .addBooleanOption((o) => o.setName('enabled').setDescription('On or off').setRequired(true)),
  moderatorOnly: true,
  action: CHANGE_ACTION,
  execute,
} satisfies Subcommand;

import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext, Subcommand } from '../../src/discord/command-types.ts';
import { NO_MENTIONS } from '../../src/discord/render.ts';
import { notRerenderedNote, rerenderReplies } from '../../src/discord/reply-rerender.ts';

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const guildId = interaction.guildId!;
  const user = interaction.options.getUser('user', true);
  const { deleted, affectedReplies } = await ctx.app.purgeUserLabels(user.id, guildId);
  ctx.log.info({ moderator: interaction.user.id, user: user.id, guildId, deleted }, 'labels purged');
  const removed = `Removed ${deleted} label${deleted === 1 ? '' : 's'} by <@${user.id}> in this server.`;
  await interaction.reply({
    // A user mention names the person without pinging them (NO_MENTIONS).
    content: [removed, notRerenderedNote(affectedReplies.length)].filter(Boolean).join(' '),
    flags: MessageFlags.Ephemeral,
    allowedMentions: NO_MENTIONS,
  });
  // After answering: editing many replies can take longer than Discord waits for an answer.
  await rerenderReplies(interaction.client, ctx.app, affectedReplies);
}

export default {
  data: (s) =>
    s
      .setDescription('Remove every label one person gave in this server')
      .addUserOption((o) => o.setName('user').setDescription('Whose labels to remove').setRequired(true)),
  moderatorOnly: true,
  action: 'purge labels',
  execute,
} satisfies Subcommand;

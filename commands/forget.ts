import {
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { CommandContext, SlashCommand } from '../src/discord/command-types.ts';
import { keptLines } from '../src/discord/forget-answer.ts';
import { NO_MENTIONS } from '../src/discord/render.ts';
import { notRerenderedNote, rerenderReplies } from '../src/discord/reply-rerender.ts';

/** Privacy: anyone may delete what they gave the bot. Irreversible, so it asks for `confirm:True`. */
const data = new SlashCommandBuilder()
  .setName('forget')
  .setDescription('Delete your labels and the photos only you contributed')
  .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
  .addBooleanOption((o) =>
    o.setName('confirm').setDescription('True to really delete (this cannot be undone)').setRequired(true),
  );

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  if (!interaction.options.getBoolean('confirm', true)) {
    await interaction.reply({
      content: 'Nothing was deleted. Run `/forget confirm:True` to delete your labels and photos.',
      flags: MessageFlags.Ephemeral,
      allowedMentions: NO_MENTIONS,
    });
    return;
  }
  const outcome = await ctx.app.forgetUser(interaction.user.id);
  ctx.log.info({ labels: outcome.labelsDeleted, images: outcome.imagesDeleted }, 'a person used /forget');
  const lines = [
    `Deleted ${plural(outcome.labelsDeleted, 'label')} and ${plural(outcome.imagesDeleted, 'photo')} that only you contributed.`,
    ...keptLines(outcome).map((k) => `• ${k}`),
    notRerenderedNote(outcome.affectedReplies.length),
  ].filter(Boolean);
  await interaction.reply({
    content: lines.join('\n'),
    flags: MessageFlags.Ephemeral,
    allowedMentions: NO_MENTIONS,
  });
  // After answering: editing many replies can take longer than Discord waits for an answer.
  await rerenderReplies(interaction.client, ctx.app, outcome.affectedReplies);
}

export default { data, execute } satisfies SlashCommand;

import {
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { TrainingOutcome, TrainingProgress } from '../src/app/types.ts';
import type { CommandContext, SlashCommand } from '../src/discord/command-types.ts';
import { confidenceBar, NO_MENTIONS, safeText } from '../src/discord/render.ts';

export const TRAINING_NOT_AVAILABLE =
  "Training isn't available in this bot yet: the learning loop is not switched on. Labels are kept, and will be used once it is.";

/** Progress edits at most this often (Discord rate-limits message edits). */
const PROGRESS_EVERY_MS = 2000;

const data = new SlashCommandBuilder()
  .setName('retrain')
  .setDescription('Train the breed model on the labels collected so far (moderators)')
  .setContexts(InteractionContextType.Guild)
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild);

export function progressLine(p: TrainingProgress): string {
  const parts = [`Training… \`${confidenceBar(p.fraction, 20)}\``];
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch}${p.epochs ? `/${p.epochs}` : ''}`);
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(3)}`);
  if (p.holdoutAccuracy !== undefined) parts.push(`holdout top-1 ${Math.round(p.holdoutAccuracy * 100)}%`);
  if (p.etaSeconds !== undefined) parts.push(`about ${Math.ceil(p.etaSeconds)} s left`);
  return parts.join(' · ');
}

export function outcomeLine(o: TrainingOutcome): string {
  const version = o.version ? ` **${safeText(o.version, 60)}**` : '';
  const why = o.reason ? `: ${safeText(o.reason, 300)}` : '';
  if (o.status === 'promoted') return `New model${version} is now serving${why}.`;
  if (o.status === 'rejected')
    return `The new model${version} was not better, so the current one stays${why}.`;
  return `Nothing to train${why}.`;
}

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const training = ctx.training;
  if (!training) {
    await interaction.reply({
      content: TRAINING_NOT_AVAILABLE,
      flags: MessageFlags.Ephemeral,
      allowedMentions: NO_MENTIONS,
    });
    return;
  }
  const running = training.current();
  if (running) {
    await interaction.reply({
      content: `Already training, ${Math.round(running.fraction * 100)}% done.`,
      flags: MessageFlags.Ephemeral,
      allowedMentions: NO_MENTIONS,
    });
    return;
  }
  await interaction.deferReply();
  let lastEdit = 0;
  // The final answer must not be overwritten by a progress edit still on its way.
  let pendingEdit: Promise<unknown> = Promise.resolve();
  const outcome = await training.retrain({
    requestedBy: interaction.user.id,
    guildId: interaction.guildId,
    onProgress: (p) => {
      const now = Date.now();
      if (now - lastEdit < PROGRESS_EVERY_MS) return;
      lastEdit = now;
      pendingEdit = interaction
        .editReply({ content: progressLine(p), allowedMentions: NO_MENTIONS })
        .catch(() => undefined);
    },
  });
  await pendingEdit;
  await interaction.editReply({ content: outcomeLine(outcome), allowedMentions: NO_MENTIONS });
}

export default { data, moderatorOnly: true, action: 'retrain the model', execute } satisfies SlashCommand;

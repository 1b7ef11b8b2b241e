/** The answer of the commands that start a training run (/retrain, /model switch): refusals, progress, outcome. */
import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { TrainingControl, TrainingOutcome, TrainingProgress } from '../features/training/types.ts';
import { trainingCharts } from './chart-attachments.ts';
import { confidenceBar, NO_MENTIONS, safeText } from './render.ts';

export const TRAINING_NOT_AVAILABLE =
  "Training isn't available in this bot yet: the learning loop is not switched on. Labels are kept, and will be used once it is.";

/** Progress edits at most this often (Discord rate-limits message edits). */
const PROGRESS_EVERY_MS = 2000;

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

/** An answer only the caller sees, for the cases where no training starts. */
export async function replyPrivately(
  interaction: ChatInputCommandInteraction,
  content: string,
): Promise<void> {
  await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
}

/**
 * Runs one training job as the command's answer: "Already training" while one runs; else a deferred reply whose
 * progress is edited at most every 2 s, then the outcome with the candidate's training curve and before/after chart.
 */
export async function answerWithTraining(
  interaction: ChatInputCommandInteraction,
  training: TrainingControl,
  run: (onProgress: (p: TrainingProgress) => void) => Promise<TrainingOutcome>,
  describeProgress: (p: TrainingProgress) => string,
): Promise<void> {
  const running = training.current();
  if (running) {
    await replyPrivately(interaction, `Already training, ${Math.round(running.fraction * 100)}% done.`);
    return;
  }
  await interaction.deferReply();
  let lastEdit = 0;
  // The final answer must not be overwritten by a progress edit still on its way.
  let pendingEdit: Promise<unknown> = Promise.resolve();
  const outcome = await run((p) => {
    const now = Date.now();
    if (now - lastEdit < PROGRESS_EVERY_MS) return;
    lastEdit = now;
    pendingEdit = interaction
      .editReply({ content: describeProgress(p), allowedMentions: NO_MENTIONS })
      .catch(() => undefined);
  });
  // A chart that cannot be drawn must not cost the outcome: the text alone then.
  const files = await trainingCharts(outcome.metrics).catch(() => []);
  await pendingEdit;
  await interaction.editReply({ content: outcomeLine(outcome), files, allowedMentions: NO_MENTIONS });
}

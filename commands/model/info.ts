import { EmbedBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { ModelInfo, ModelVersionInfo } from '../../src/features/model/types.ts';
import type { TrainingProgress } from '../../src/features/training/types.ts';
import { trainingCharts } from '../../src/discord/chart-attachments.ts';
import type { CommandContext, Subcommand } from '../../src/discord/command-types.ts';
import { codeText, NO_MENTIONS, safeText } from '../../src/discord/render.ts';
import { progressLine } from '../../src/discord/training-reply.ts';
import { switchProgressLine } from './switch.ts';

const HISTORY_SHOWN = 10;

const percent = (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : null;

function metricsLine(metrics: Record<string, unknown> | null): string {
  if (!metrics) return '';
  // A version judged on no held-out photo has no score (older records stored 0 for it).
  if (metrics.holdoutImages === 0) return ' · no holdout, not scored';
  const parts = [
    percent(metrics.top1) && `top-1 ${percent(metrics.top1)}`,
    percent(metrics.top5) && `top-5 ${percent(metrics.top5)}`,
  ].filter(Boolean);
  return parts.length ? ` · ${parts.join(' · ')}` : '';
}

function historyLine(v: ModelVersionInfo): string {
  const day = v.createdAt.toISOString().slice(0, 16).replace('T', ' ');
  const fineTuned = (v.metrics?.fineTune as { kept?: boolean } | undefined)?.kept
    ? ' · fine-tuned backbone'
    : '';
  return `\`${codeText(v.version, 60)}\` ${v.status} · ${day}${metricsLine(v.metrics)}${fineTuned}`;
}

/**
 * When the database has already moved past the version this process serves (a CLI rollback or a trainer's
 * promotion not followed yet): " · switching to …". Empty when both agree.
 */
function switchingNote(info: ModelInfo): string {
  const databaseActive = info.history.find((v) => v.status === 'active')?.version;
  if (databaseActive) {
    return databaseActive === info.activeVersion ? '' : ` · switching to \`${codeText(databaseActive, 80)}\``;
  }
  // No active row in the history shown means the base model, unless the serving one is older than that history.
  return info.history.some((v) => v.version === info.activeVersion) ? ' · switching to the base model' : '';
}

export function modelInfoEmbed(info: ModelInfo, running: TrainingProgress | null = null): EmbedBuilder {
  const active = info.history.find((v) => v.version === info.activeVersion);
  const embed = new EmbedBuilder().setTitle('Breed model').addFields(
    {
      name: 'Active version',
      value: `\`${codeText(info.activeVersion, 80)}\`${metricsLine(active?.metrics ?? null)}${switchingNote(info)}`,
    },
    { name: 'Backend', value: safeText(info.backend, 60), inline: true },
    { name: 'Backbone', value: safeText(info.backboneId, 60), inline: true },
    { name: 'Breeds', value: String(info.breeds), inline: true },
  );
  if (info.detector)
    embed.addFields({ name: 'Dog detector', value: safeText(info.detector, 60), inline: true });
  if (running) {
    const value = running.stage ? switchProgressLine(running) : progressLine(running);
    embed.addFields({ name: 'Training', value });
  }
  const history = info.history.slice(0, HISTORY_SHOWN).map(historyLine);
  embed.addFields({
    name: 'History',
    value: history.length ? history.join('\n') : 'No trained versions yet.',
  });
  const rejected = info.history.find((v) => v.status === 'rejected' && v.reason);
  if (rejected?.reason) {
    embed.addFields({
      name: `Last rejection (${codeText(rejected.version, 60)})`,
      value: safeText(rejected.reason, 300),
    });
  }
  return embed;
}

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const info = await ctx.app.modelInfo();
  const running = ctx.training?.current() ?? null;
  // The serving version's training curve and before/after accuracy; none for the base model.
  const active = info.history.find((v) => v.version === info.activeVersion);
  const files = await trainingCharts(active?.metrics);
  await interaction.reply({
    embeds: [modelInfoEmbed(info, running)],
    files,
    allowedMentions: NO_MENTIONS,
  });
}

export default {
  data: (s) => s.setDescription('Active version, backend, metrics and history'),
  execute,
} satisfies Subcommand;

import {
  EmbedBuilder,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { UserFacingError } from '../src/app/errors.ts';
import type { ModelInfo, ModelVersionInfo } from '../src/app/types.ts';
import type { CommandContext } from '../src/discord/command-types.ts';
import { requireModerator } from '../src/discord/permissions.ts';
import { codeText, NO_MENTIONS, safeText } from '../src/discord/render.ts';
import { isBaseVersion } from '../src/model/registry.ts';
import { TRAINING_NOT_AVAILABLE } from './retrain.ts';

const MAX_VERSION_LENGTH = 100;
const HISTORY_SHOWN = 10;

export const data = new SlashCommandBuilder()
  .setName('model')
  .setDescription('The breed model: which version serves, how good it is, its history')
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) => s.setName('info').setDescription('Active version, backend, metrics and history'))
  .addSubcommand((s) =>
    s
      .setName('rollback')
      .setDescription('Serve an earlier version again (moderators)')
      .addStringOption((o) =>
        o
          .setName('version')
          .setDescription('The version to go back to')
          .setRequired(true)
          .setAutocomplete(true)
          .setMaxLength(MAX_VERSION_LENGTH),
      ),
  );

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

export function modelInfoEmbed(info: ModelInfo): EmbedBuilder {
  const active = info.history.find((v) => v.version === info.activeVersion);
  const embed = new EmbedBuilder().setTitle('Breed model').addFields(
    {
      name: 'Active version',
      value: `\`${codeText(info.activeVersion, 80)}\`${metricsLine(active?.metrics ?? null)}`,
    },
    { name: 'Backend', value: safeText(info.backend, 60), inline: true },
    { name: 'Backbone', value: safeText(info.backboneId, 60), inline: true },
    { name: 'Breeds', value: String(info.breeds), inline: true },
  );
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

export async function autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
  const query = String(interaction.options.getFocused()).toLowerCase().slice(0, MAX_VERSION_LENGTH);
  const info = await ctx.app.modelInfo();
  await interaction.respond(rollbackChoices(info, query));
}

/** Statuses a rollback accepts: versions that passed their checks once (see the learning loop's rollback). */
const SERVABLE = new Set(['active', 'retired']);

/**
 * The /model rollback choices: the base model ("base") plus the history's versions that can serve (active or
 * retired; rejected and unchecked candidates never serve), filtered by what was typed.
 */
export function rollbackChoices(info: ModelInfo, query: string): { name: string; value: string }[] {
  const q = query.toLowerCase();
  const choices = [{ name: 'base (the original pretrained model)', value: 'base' }];
  for (const v of info.history) {
    if (!SERVABLE.has(v.status) || isBaseVersion(v.version)) continue;
    choices.push({ name: `${v.version} (${v.status})`.slice(0, 100), value: v.version.slice(0, 100) });
  }
  return choices.filter((c) => c.value.toLowerCase().includes(q)).slice(0, 25);
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const sub = interaction.options.getSubcommand();
  if (sub === 'info') {
    const info = await ctx.app.modelInfo();
    await interaction.reply({ embeds: [modelInfoEmbed(info)], allowedMentions: NO_MENTIONS });
    return;
  }
  // rollback
  const settings = await ctx.app.guildSettings(interaction.guildId);
  requireModerator(interaction, settings.moderatorRoleId, 'roll the model back');
  const version = interaction.options.getString('version', true).trim();
  if (version.length > MAX_VERSION_LENGTH)
    throw new UserFacingError('argument-too-long', 'That version name is too long.');
  if (!ctx.training) {
    await interaction.reply({
      content: TRAINING_NOT_AVAILABLE,
      flags: MessageFlags.Ephemeral,
      allowedMentions: NO_MENTIONS,
    });
    return;
  }
  await interaction.deferReply();
  const { activeVersion } = await ctx.training.rollback(version, interaction.user.id);
  await interaction.editReply({
    content: `Now serving \`${codeText(activeVersion, 80)}\`.`,
    allowedMentions: NO_MENTIONS,
  });
}

import {
  EmbedBuilder,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { UserFacingError } from '../src/app/errors.ts';
import type { ModelInfo, ModelVersionInfo, TrainingProgress } from '../src/app/types.ts';
import type { CommandContext } from '../src/discord/command-types.ts';
import { requireModerator } from '../src/discord/permissions.ts';
import { codeText, confidenceBar, NO_MENTIONS, safeText } from '../src/discord/render.ts';
import { isBaseVersion } from '../src/model/registry.ts';
import { outcomeLine, progressLine, TRAINING_NOT_AVAILABLE } from './retrain.ts';

/** Progress edits at most this often (Discord rate-limits message edits). */
const PROGRESS_EVERY_MS = 2000;

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
  )
  .addSubcommand((s) =>
    s
      .setName('switch')
      .setDescription('Move to another backbone, keeping everything people taught (moderators)')
      .addStringOption((o) =>
        o
          .setName('backbone')
          .setDescription('The backbone entry (models/<id>.model.json)')
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

export async function autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
  const query = String(interaction.options.getFocused()).toLowerCase().slice(0, MAX_VERSION_LENGTH);
  if (interaction.options.getSubcommand(false) === 'switch') {
    await interaction.respond(backboneChoices(ctx.training?.backboneEntries?.() ?? [], query));
    return;
  }
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

/** The /model switch choices: the backbone entries whose id contains what was typed. */
export function backboneChoices(entries: string[], query: string): { name: string; value: string }[] {
  const q = query.toLowerCase();
  return entries
    .filter((id) => id.toLowerCase().includes(q))
    .slice(0, 25)
    .map((id) => ({ name: id.slice(0, 100), value: id.slice(0, 100) }));
}

/** e.g. "Switching to mobilenet_edgetpu_224_1.0… `▓▓░░` · re-embedded 120/800 photos". */
export function switchProgressLine(p: TrainingProgress, backbone?: string): string {
  const target = backbone ? ` to ${safeText(backbone, 80)}` : ' the backbone';
  const head = `Switching${target}… \`${confidenceBar(p.fraction, 20)}\``;
  if (p.stage === 'embedding' && p.total !== undefined)
    return `${head} · re-embedded ${p.done ?? 0}/${p.total} photos`;
  return p.epoch !== undefined
    ? `${head} · training epoch ${p.epoch}${p.epochs ? `/${p.epochs}` : ''}`
    : head;
}

async function switchBackbone(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const settings = await ctx.app.guildSettings(interaction.guildId);
  requireModerator(interaction, settings.moderatorRoleId, 'switch the backbone');
  const backbone = interaction.options.getString('backbone', true).trim();
  if (backbone.length > MAX_VERSION_LENGTH)
    throw new UserFacingError('argument-too-long', 'That backbone name is too long.');
  const training = ctx.training;
  if (!training?.switchBackbone) {
    await interaction.reply({
      content: training ? 'This deployment cannot switch backbones from Discord.' : TRAINING_NOT_AVAILABLE,
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
  const outcome = await training.switchBackbone({
    backboneId: backbone,
    requestedBy: interaction.user.id,
    onProgress: (p) => {
      const now = Date.now();
      if (now - lastEdit < PROGRESS_EVERY_MS) return;
      lastEdit = now;
      pendingEdit = interaction
        .editReply({ content: switchProgressLine(p, backbone), allowedMentions: NO_MENTIONS })
        .catch(() => undefined);
    },
  });
  await pendingEdit;
  await interaction.editReply({ content: outcomeLine(outcome), allowedMentions: NO_MENTIONS });
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const sub = interaction.options.getSubcommand();
  if (sub === 'info') {
    const info = await ctx.app.modelInfo();
    const running = ctx.training?.current() ?? null;
    await interaction.reply({ embeds: [modelInfoEmbed(info, running)], allowedMentions: NO_MENTIONS });
    return;
  }
  if (sub === 'switch') {
    await switchBackbone(interaction, ctx);
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

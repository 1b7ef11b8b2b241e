import type { AutocompleteInteraction, ChatInputCommandInteraction } from 'discord.js';
import { UserFacingError } from '../../src/refusals.ts';
import type { TrainingProgress } from '../../src/features/training/types.ts';
import type { CommandContext, Subcommand } from '../../src/discord/command-types.ts';
import { confidenceBar, safeText } from '../../src/discord/render.ts';
import {
  answerWithTraining,
  replyPrivately,
  TRAINING_NOT_AVAILABLE,
} from '../../src/discord/training-reply.ts';
import { MAX_VERSION_LENGTH } from './_command.ts';

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

async function autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
  const query = String(interaction.options.getFocused()).toLowerCase().slice(0, MAX_VERSION_LENGTH);
  await interaction.respond(backboneChoices(ctx.training?.backboneEntries?.() ?? [], query));
}

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const backbone = interaction.options.getString('backbone', true).trim();
  if (backbone.length > MAX_VERSION_LENGTH)
    throw new UserFacingError('argument-too-long', 'That backbone name is too long.');
  const training = ctx.training;
  const switchBackbone = training?.switchBackbone?.bind(training);
  if (!training || !switchBackbone) {
    const why = training ? 'This deployment cannot switch backbones from Discord.' : TRAINING_NOT_AVAILABLE;
    return replyPrivately(interaction, why);
  }
  await answerWithTraining(
    interaction,
    training,
    (onProgress) => switchBackbone({ backboneId: backbone, requestedBy: interaction.user.id, onProgress }),
    (p) => switchProgressLine(p, backbone),
  );
}

export default {
  data: (s) =>
    s
      .setDescription('Move to another backbone, keeping everything people taught (moderators)')
      .addStringOption((o) =>
        o
          .setName('backbone')
          .setDescription('The backbone entry (models/<id>.model.json)')
          .setRequired(true)
          .setAutocomplete(true)
          .setMaxLength(MAX_VERSION_LENGTH),
      ),
  moderatorOnly: true,
  action: 'switch the backbone',
  autocomplete,
  execute,
} satisfies Subcommand;

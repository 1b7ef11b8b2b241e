import type { AutocompleteInteraction, ChatInputCommandInteraction } from 'discord.js';
import { UserFacingError } from '../../src/refusals.ts';
import type { ModelInfo } from '../../src/features/model/types.ts';
import type { CommandContext, Subcommand } from '../../src/discord/command-types.ts';
import { codeText, NO_MENTIONS } from '../../src/discord/render.ts';
import { isBaseVersion } from '../../src/model/registry.ts';
import { replyPrivately, TRAINING_NOT_AVAILABLE } from '../../src/discord/training-reply.ts';
import { MAX_VERSION_LENGTH } from './_command.ts';

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

async function autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
  const query = String(interaction.options.getFocused()).toLowerCase().slice(0, MAX_VERSION_LENGTH);
  await interaction.respond(rollbackChoices(await ctx.app.modelInfo(), query));
}

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const version = interaction.options.getString('version', true).trim();
  if (version.length > MAX_VERSION_LENGTH)
    throw new UserFacingError('argument-too-long', 'That version name is too long.');
  if (!ctx.training) return replyPrivately(interaction, TRAINING_NOT_AVAILABLE);
  await interaction.deferReply();
  const { activeVersion } = await ctx.training.rollback(version, interaction.user.id);
  await interaction.editReply({
    content: `Now serving \`${codeText(activeVersion, 80)}\`.`,
    allowedMentions: NO_MENTIONS,
  });
}

export default {
  data: (s) =>
    s
      .setDescription('Serve an earlier version again (moderators)')
      .addStringOption((o) =>
        o
          .setName('version')
          .setDescription('The version to go back to')
          .setRequired(true)
          .setAutocomplete(true)
          .setMaxLength(MAX_VERSION_LENGTH),
      ),
  moderatorOnly: true,
  action: 'roll the model back',
  autocomplete,
  execute,
} satisfies Subcommand;

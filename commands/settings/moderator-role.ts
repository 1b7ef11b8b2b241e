import type { ChatInputCommandInteraction } from 'discord.js';
import { UserFacingError } from '../../src/refusals.ts';
import type { CommandContext, Subcommand } from '../../src/discord/command-types.ts';
import { CHANGE_ACTION, replyWithSettings } from './_reply.ts';

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const guildId = interaction.guildId!;
  const role = interaction.options.getRole('role');
  // @everyone's id is the server's: as the moderator role it would make everyone a moderator.
  if (role?.id === guildId)
    throw new UserFacingError('bad-argument', 'The @everyone role would make everyone a moderator.');
  const settings = await ctx.app.updateGuildSettings(guildId, { moderatorRoleId: role?.id ?? null });
  const summary = role
    ? `Members with <@&${role.id}> are moderators for breedbot now.`
    : 'No moderator role now: only members with Manage Server moderate.';
  await replyWithSettings(interaction, ctx, summary, settings);
}

export default {
  data: (s) =>
    s
      .setDescription('A role whose members may moderate breedbot, besides Manage Server')
      .addRoleOption((o) => o.setName('role').setDescription('The role (leave out to clear it)')),
  moderatorOnly: true,
  action: CHANGE_ACTION,
  execute,
} satisfies Subcommand;

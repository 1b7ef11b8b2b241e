import {
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { CommandContext, SlashCommand } from '../src/discord/command-types.ts';
import {
  answerWithTraining,
  progressLine,
  replyPrivately,
  TRAINING_NOT_AVAILABLE,
} from '../src/discord/training-reply.ts';

const data = new SlashCommandBuilder()
  .setName('retrain')
  .setDescription('Train the breed model on the labels collected so far (moderators)')
  .setContexts(InteractionContextType.Guild)
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild);

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const training = ctx.training;
  if (!training) return replyPrivately(interaction, TRAINING_NOT_AVAILABLE);
  await answerWithTraining(
    interaction,
    training,
    (onProgress) =>
      training.retrain({ requestedBy: interaction.user.id, guildId: interaction.guildId, onProgress }),
    progressLine,
  );
}

export default { data, moderatorOnly: true, action: 'retrain the model', execute } satisfies SlashCommand;

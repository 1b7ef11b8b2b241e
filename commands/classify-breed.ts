import {
  ApplicationCommandType,
  ContextMenuCommandBuilder,
  InteractionContextType,
  type MessageContextMenuCommandInteraction,
} from 'discord.js';
import { UserFacingError } from '../src/refusals.ts';
import type { CommandContext, MessageCommand } from '../src/discord/command-types.ts';
import { classifyUrls, editInteractionWithItems } from '../src/discord/classify-flow.ts';
import { photosOfMessage } from '../src/discord/message-photos.ts';

/**
 * Message menu "Classify breed". Works without the MessageContent intent: Discord resolves the target message,
 * attachments, text and embeds included, inside the interaction itself. Image links and unfurled embeds count
 * as photos, as they do for auto-classify.
 */
const data = new ContextMenuCommandBuilder()
  .setName('Classify breed')
  .setType(ApplicationCommandType.Message)
  .setContexts(InteractionContextType.Guild);

async function execute(
  interaction: MessageContextMenuCommandInteraction,
  ctx: CommandContext,
): Promise<void> {
  const target = interaction.targetMessage;
  const photos = photosOfMessage(target);
  if (photos.length === 0)
    throw new UserFacingError('bad-argument', 'That message has no photo I can look at.');
  await interaction.deferReply();
  const classified = await classifyUrls(ctx.app, photos, {
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    messageId: target.id,
    interactionId: interaction.id,
    userId: interaction.user.id,
  });
  await editInteractionWithItems(interaction, ctx.app, classified);
}

export default { data, execute } satisfies MessageCommand;

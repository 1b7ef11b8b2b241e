import { InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { MAX_URL_LENGTH } from '../src/limits.ts';
import { UserFacingError } from '../src/refusals.ts';
import type { CommandContext, SlashCommand } from '../src/discord/command-types.ts';
import { classifyUrls, editInteractionWithItems } from '../src/discord/classify-flow.ts';

const data = new SlashCommandBuilder()
  .setName('classify')
  .setDescription('Name the dog breed in a photo')
  .setContexts(InteractionContextType.Guild)
  .addAttachmentOption((o) => o.setName('image').setDescription('A photo of a dog'))
  .addStringOption((o) =>
    o.setName('url').setDescription('A link to a photo of a dog').setMaxLength(MAX_URL_LENGTH),
  );

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const image = interaction.options.getAttachment('image');
  const url = interaction.options.getString('url')?.trim() || null;
  if (Boolean(image) === Boolean(url)) {
    throw new UserFacingError(
      'bad-argument',
      'Give me exactly one of `image:` (a photo) or `url:` (a link to one).',
    );
  }
  if (url && url.length > MAX_URL_LENGTH) {
    throw new UserFacingError(
      'argument-too-long',
      `That link is too long (over ${MAX_URL_LENGTH} characters).`,
    );
  }
  await interaction.deferReply();
  const photo = image
    ? { url: image.url, origin: 'upload' as const }
    : { url: url!, origin: 'link' as const };
  const classified = await classifyUrls(ctx.app, [photo], {
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    interactionId: interaction.id,
    userId: interaction.user.id,
  });
  await editInteractionWithItems(interaction, ctx.app, classified);
}

export default { data, execute } satisfies SlashCommand;

import { InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { MAX_URL_LENGTH } from '../src/limits.ts';
import type { CommandContext, SlashCommand } from '../src/discord/command-types.ts';
import {
  classifyUrls,
  editInteractionWithItems,
  type ClassifiedItems,
  type ReplyExtras,
} from '../src/discord/classify-flow.ts';
import { explanationAttachment } from '../src/discord/explain-answer.ts';
import { refusalText } from '../src/discord/refusal-text.ts';
import { log } from '../src/log.ts';
import { isUserFacing, UserFacingError } from '../src/refusals.ts';

const data = new SlashCommandBuilder()
  .setName('classify')
  .setDescription('Name the dog breed in a photo')
  .setContexts(InteractionContextType.Guild)
  .addAttachmentOption((o) => o.setName('image').setDescription('A photo of a dog'))
  .addStringOption((o) =>
    o.setName('url').setDescription('A link to a photo of a dog').setMaxLength(MAX_URL_LENGTH),
  )
  .addBooleanOption((o) =>
    o.setName('explain').setDescription('Also show a heatmap of what made me pick the breed'),
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
  const extras = interaction.options.getBoolean('explain')
    ? await explanationExtras(interaction, ctx, classified)
    : {};
  await editInteractionWithItems(interaction, ctx.app, classified, extras);
}

/** `explain:true`: the heatmap of the photo's top breed, or a note saying why there is none. */
async function explanationExtras(
  interaction: ChatInputCommandInteraction,
  ctx: CommandContext,
  { items, predictionIds }: ClassifiedItems,
): Promise<ReplyExtras> {
  const item = items[0];
  if (!item || 'error' in item) return {};
  if (!item.result.isDog) return { note: 'No heatmap: I only explain breeds, and this is not a dog to me.' };
  try {
    const explanation = await ctx.app.explainPrediction(predictionIds[0]!, {
      userId: interaction.user.id,
      guildId: interaction.guildId,
    });
    return { files: [explanationAttachment(explanation)] };
  } catch (error) {
    if (isUserFacing(error)) return { note: `No heatmap: ${refusalText(error)}` };
    log.error({ err: error, interactionId: interaction.id }, 'explanation failed');
    return { note: 'No heatmap: something went wrong while drawing it. It has been logged.' };
  }
}

export default { data, execute } satisfies SlashCommand;

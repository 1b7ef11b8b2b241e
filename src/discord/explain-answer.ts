/**
 * The words and Discord parts of the "Why?" heatmap: the PNG attachment with its alt text, the 🔍 buttons on
 * classification replies, and the answer to a press of one.
 */
import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  type ButtonInteraction,
} from 'discord.js';
import type { ReplyItem } from '../features/classify/types.ts';
import type { Explanation } from '../features/explain/types.ts';
import type { HeatZone } from '../model/explain/heat-zone.ts';
import type { CommandContext } from './command-types.ts';
import { MAX_PHOTOS_PER_REPLY, NO_MENTIONS, plainText, safeText, type RenderItem } from './render.ts';

const BUTTON_PREFIX = 'explain:';
export const EXPLANATION_FILE = 'why.png';
const BUTTONS_PER_ROW = 5;

/** "top-left", "centre-right", "centre", … as people say where something is in a picture. */
export function zoneWords(zone: Pick<HeatZone, 'vertical' | 'horizontal'>): string {
  if (zone.vertical === 'middle')
    return zone.horizontal === 'centre' ? 'centre' : `centre-${zone.horizontal}`;
  return `${zone.vertical}-${zone.horizontal}`;
}

const percent = (p: number) => `${Math.round(p * 100)}%`;

/** The picture's alt text: the breed it explains and where the heat is. */
export function explanationAlt(e: Explanation): string {
  const what = `Heatmap of what made me say ${plainText(e.breed, 80)} (${percent(e.probability)})`;
  if (!e.hottest)
    return `${what}: no region stood out; greying any part of the photo barely changed the answer.`;
  return `${what}: most heat in the ${zoneWords(e.hottest)} (${percent(e.hottest.share)} of it); red is where greying the photo lowered that answer most.`;
}

export const explanationAttachment = (e: Explanation): AttachmentBuilder =>
  new AttachmentBuilder(e.png, { name: EXPLANATION_FILE, description: explanationAlt(e) });

/** The line that goes with the picture. */
export function explanationLine(e: Explanation): string {
  const where = e.hottest ? `mostly the ${zoneWords(e.hottest)} of the photo` : 'no single part of the photo';
  return `🔍 Why **${safeText(e.breed)}**: ${where} (red: greying it there lowered my answer most).`;
}

/** One 🔍 button per dog photo of a classification reply ("Photo n" when the reply shows several). */
export function explainButtons(items: RenderItem[]): ActionRowBuilder<ButtonBuilder>[] {
  const shown = items.slice(0, MAX_PHOTOS_PER_REPLY);
  const dogs = shown.flatMap((item, n) =>
    'error' in item || !item.result.isDog ? [] : [{ item: item as ReplyItem, n: n + 1 }],
  );
  const buttons = dogs.map(({ item, n }) =>
    new ButtonBuilder()
      .setCustomId(`${BUTTON_PREFIX}${item.predictionId}`)
      .setStyle(ButtonStyle.Secondary)
      .setEmoji('🔍')
      .setLabel(shown.length === 1 ? 'Why?' : `Why? Photo ${n}`),
  );
  const rows: ActionRowBuilder<ButtonBuilder>[] = [];
  for (let i = 0; i < buttons.length; i += BUTTONS_PER_ROW) {
    rows.push(new ActionRowBuilder<ButtonBuilder>().addComponents(buttons.slice(i, i + BUTTONS_PER_ROW)));
  }
  return rows;
}

export const isExplainButton = (customId: string): boolean => customId.startsWith(BUTTON_PREFIX);

/** A press of 🔍: the heatmap for the person who pressed, visible only to them. */
export async function handleExplainButton(
  interaction: ButtonInteraction,
  ctx: CommandContext,
): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const explanation = await ctx.app.explainPrediction(interaction.customId.slice(BUTTON_PREFIX.length), {
    userId: interaction.user.id,
    guildId: interaction.guildId,
  });
  await interaction.editReply({
    content: explanationLine(explanation),
    files: [explanationAttachment(explanation)],
    allowedMentions: NO_MENTIONS,
  });
}

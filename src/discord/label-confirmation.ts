/**
 * The confirmation `/label` asks for before labelling a photo that was not a dog: two buttons on the person's
 * own (ephemeral) answer. What was asked waits here, in memory, for as long as Discord lets the answer be edited
 * (15 minutes); after a restart the button says to run `/label` again.
 */
import { randomUUID } from 'node:crypto';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  type ButtonInteraction,
} from 'discord.js';
import { LRUCache } from 'lru-cache';
import { isUserFacing, type NotADogConfirmationError } from '../refusals.ts';
import { refusalText } from './refusal-text.ts';
import type { LabelCommandInput } from '../features/labelling/types.ts';
import type { CommandContext } from './command-types.ts';
import { labelAnswer, photoPointer, rerenderLabelledReply } from './label-answer.ts';
import { NO_MENTIONS, safeText } from './render.ts';

const CONFIRM = 'label-confirm:';
const CANCEL = 'label-cancel:';
const INTERACTION_EDIT_WINDOW_MS = 15 * 60_000;

type PendingLabel = LabelCommandInput & { confirmedPredictionId: string };

const pending = new LRUCache<string, PendingLabel>({ max: 10_000, ttl: INTERACTION_EDIT_WINDOW_MS });

/** The question and its buttons, for the person's ephemeral `/label` answer. */
export function askToConfirm(
  input: LabelCommandInput,
  question: NotADogConfirmationError,
): { content: string; components: ActionRowBuilder<ButtonBuilder>[] } {
  const token = randomUUID();
  pending.set(token, { ...input, confirmedPredictionId: question.predictionId });
  const where = photoPointer(input.guildId, question.reply);
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(`${CONFIRM}${token}`)
      .setStyle(ButtonStyle.Primary)
      .setLabel(`Label it ${question.breed}`.slice(0, 80)),
    new ButtonBuilder().setCustomId(`${CANCEL}${token}`).setStyle(ButtonStyle.Secondary).setLabel('Cancel'),
  );
  return {
    content:
      `The newest photo I answered here${where} doesn't look like a dog to me. ` +
      `Label it **${safeText(question.breed)}** anyway? To label another photo, give \`message:\` ` +
      '(a link to it or to my reply).',
    components: [row],
  };
}

export const isLabelConfirmationButton = (customId: string): boolean =>
  customId.startsWith(CONFIRM) || customId.startsWith(CANCEL);

export async function handleLabelConfirmation(interaction: ButtonInteraction, ctx: CommandContext) {
  const confirm = interaction.customId.startsWith(CONFIRM);
  const token = interaction.customId.slice(confirm ? CONFIRM.length : CANCEL.length);
  const asked = pending.get(token);
  if (!asked) {
    await interaction.update({
      content: 'This question has expired: run `/label` again.',
      components: [],
      allowedMentions: NO_MENTIONS,
    });
    return;
  }
  if (asked.userId !== interaction.user.id) {
    await interaction.reply({
      content: 'Only the person who ran `/label` can answer this.',
      flags: MessageFlags.Ephemeral,
    });
    return;
  }
  pending.delete(token);
  if (!confirm) {
    await interaction.update({
      content: 'Nothing was labelled.',
      components: [],
      allowedMentions: NO_MENTIONS,
    });
    return;
  }
  await interaction.deferUpdate();
  try {
    const outcome = await ctx.app.labelByCommand(asked);
    await interaction.editReply({
      content: labelAnswer(outcome, asked.guildId),
      components: [],
      allowedMentions: NO_MENTIONS,
    });
    await rerenderLabelledReply(interaction.client, ctx.app, outcome);
  } catch (error) {
    if (!isUserFacing(error)) throw error;
    await interaction.editReply({ content: refusalText(error), components: [], allowedMentions: NO_MENTIONS });
  }
}

/**
 * What `/label` (and its confirmation button) says once a label is stored: how the breed was read, which photo
 * got it (a link to the bot's reply showing it), the crowd's answer; then the reply is re-rendered.
 */
import type { Client } from 'discord.js';
import type { Breedbot } from '../app/breedbot.ts';
import type { ReplyLocation } from '../features/classify/types.ts';
import type { LabelCommandOutcome } from '../features/labelling/types.ts';
import { log } from '../log.ts';
import { messageLink } from './message-ref.ts';
import { crowdLine, NO_MENTIONS, renderReply, safeText } from './render.ts';

/** "the one in [my reply](…)": the link is what tells people which photo it was. */
export function photoPointer(guildId: string | null, reply: ReplyLocation | null): string {
  return guildId && reply ? ` (the one in [my reply](${messageLink({ guildId, ...reply })}))` : '';
}

export function labelAnswer(outcome: LabelCommandOutcome, guildId: string | null): string {
  const breed = safeText(outcome.breed);
  const where = photoPointer(guildId, outcome.reply);
  const lines = [
    ...(outcome.readAs ? [`I read that as **${safeText(outcome.readAs)}**.`] : []),
    outcome.changed
      ? `Thanks! You labelled that photo **${breed}**${where}.`
      : `You had already labelled that photo **${breed}**${where}.`,
  ];
  if (outcome.createdBreed)
    lines.push(`(**${breed}** is a new breed: it will be learnt at the next training.)`);
  if (outcome.crowd) lines.push(crowdLine(outcome.crowd));
  return lines.join('\n');
}

/** Shows the new crowd answer on the bot's reply; a reply that cannot be edited any more is left as it is. */
export async function rerenderLabelledReply(
  client: Client,
  app: Breedbot,
  outcome: LabelCommandOutcome,
): Promise<void> {
  if (!outcome.changed || !outcome.reply) return;
  const { channelId, messageId } = outcome.reply;
  const channel = await client.channels.fetch(channelId).catch(() => null);
  if (!channel?.isTextBased()) return;
  const { content, embeds } = renderReply(await app.replyItems(messageId));
  await channel.messages
    .edit(messageId, { content: content ?? null, embeds, allowedMentions: NO_MENTIONS })
    .catch((err: unknown) => log.debug({ err }, 'could not update the reply with the new label'));
}

/** Auto-classify: image attachments posted in an enabled channel get one reply covering each photo. */
import type { Message } from 'discord.js';
import type { Breedbot } from '../../app/types.ts';
import { log } from '../../log.ts';
import { addVoteReactions, classifyUrls, imageAttachments, uploadedPhotos } from '../classify-flow.ts';
import type { EventDeduper } from '../event-dedupe.ts';
import { NO_MENTIONS, renderReply } from '../render.ts';

export interface MessageHandlerDeps {
  app: Breedbot;
  dedupe: EventDeduper;
  /** False when the process runs without the MessageContent intent (attachments would be empty anyway). */
  autoClassify: boolean;
}

export async function handleMessageCreate(
  message: Message,
  { app, dedupe, autoClassify }: MessageHandlerDeps,
) {
  if (!autoClassify || !message.inGuild() || message.author.bot || message.webhookId) return;
  const images = imageAttachments(message.attachments.values());
  if (images.length === 0) return;
  if (!dedupe.firstTime(`message:${message.id}`)) return;

  const settings = await app.guildSettings(message.guildId);
  if (!settings.autoClassify) return;
  if (settings.enabledChannelIds.length > 0 && !settings.enabledChannelIds.includes(message.channelId))
    return;
  // A replay after a restart: the reply exists already.
  if (await app.replyForSourceMessage(message.id)) return;

  await message.channel.sendTyping().catch(() => undefined);
  const { items, predictionIds } = await classifyUrls(app, uploadedPhotos(images), {
    guildId: message.guildId,
    channelId: message.channelId,
    messageId: message.id,
    userId: message.author.id,
  });
  const rendered = renderReply(items);
  const reply = await message.reply({
    ...(rendered.content ? { content: rendered.content } : {}),
    embeds: rendered.embeds,
    allowedMentions: NO_MENTIONS,
  });
  if (predictionIds.length) await app.recordReply(predictionIds, reply.id);
  if (rendered.wantsReactions) await addVoteReactions(reply);
  log.debug({ messageId: message.id, replyId: reply.id, photos: images.length }, 'auto-classified');
}

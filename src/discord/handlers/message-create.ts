/**
 * Auto-classify: photos posted in an enabled channel (attachments, image links, the embeds Discord adds when it
 * unfurls a link) get one reply covering each photo. Each message is answered once: Discord often sends the
 * embeds in a MESSAGE_UPDATE after the create, and that update must neither be missed nor answered again.
 */
import type { Message, PartialMessage } from 'discord.js';
import type { Breedbot } from '../../app/breedbot.ts';
import { log } from '../../log.ts';
import { classifyUrls } from '../classify-flow.ts';
import { answerClassified } from '../classify-reply.ts';
import type { EventDeduper } from '../event-dedupe.ts';
import { photosOfMessage } from '../message-photos.ts';

export interface MessageHandlerDeps {
  app: Breedbot;
  dedupe: EventDeduper;
  /** False when the process runs without the MessageContent intent (attachments would be empty anyway). */
  autoClassify: boolean;
}

export async function handleMessageCreate(message: Message, deps: MessageHandlerDeps) {
  await classifyPostedPhotos(message, deps);
}

/** An edit, or Discord adding the unfurled embeds: answered only if the message was not answered already. */
export async function handleMessageUpdate(message: Message | PartialMessage, deps: MessageHandlerDeps) {
  if (!deps.autoClassify || !message.inGuild()) return;
  // An update Discord sent with only some fields: fetched only when it brings embeds (a link's unfurl).
  if (message.partial && message.embeds.length === 0) return;
  const full = message.partial ? await message.fetch().catch(() => null) : message;
  if (full) await classifyPostedPhotos(full, deps);
}

async function classifyPostedPhotos(message: Message, { app, dedupe, autoClassify }: MessageHandlerDeps) {
  if (!autoClassify || !message.inGuild() || message.author.bot || message.webhookId) return;
  const photos = photosOfMessage(message);
  // Not marked as handled yet: an embed added later may still bring a photo.
  if (photos.length === 0) return;
  if (!dedupe.firstTime(`message:${message.id}`)) return;

  const settings = await app.guildSettings(message.guildId);
  if (!settings.autoClassify) return;
  if (settings.enabledChannelIds.length > 0 && !settings.enabledChannelIds.includes(message.channelId))
    return;
  // A replay after a restart: the reply exists already.
  if (await app.replyForSourceMessage(message.id)) return;

  await message.channel.sendTyping().catch(() => undefined);
  const classified = await classifyUrls(app, photos, {
    guildId: message.guildId,
    channelId: message.channelId,
    messageId: message.id,
    userId: message.author.id,
  });
  // The whole-photo answer at once; several dogs in a photo edit it after (classify-reply.ts).
  const reply = await answerClassified(app, classified, {
    send: ({ content, ...rest }) => message.reply({ ...(content ? { content } : {}), ...rest }),
    edit: (reply, payload) => reply.edit(payload),
  });
  log.debug({ messageId: message.id, replyId: reply.id, photos: photos.length }, 'auto-classified');
}

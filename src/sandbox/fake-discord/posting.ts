import type { APIAttachment } from 'discord-api-types/v10';
import type { FakeDiscordState } from './fake-state.ts';
import { mentionsInGuild } from './mentions.ts';
import type { FakeMessage } from './messages.ts';
import type { PostMessageInput } from './types.ts';
import { unfurlImageLinks } from './unfurl.ts';

/** A person posts a message: files go to the CDN first, image links are unfurled a moment later. */
export async function postMessage(fake: FakeDiscordState, input: PostMessageInput): Promise<FakeMessage> {
  const author = fake.user(input.userId);
  const { guild, channel } = fake.requireChannel(input.channelId);
  const attachments: APIAttachment[] = [];
  for (const file of input.files ?? []) attachments.push(await fake.cdn.upload(channel.id, file));
  const content = input.content ?? '';
  const reference = input.replyTo
    ? { message_id: input.replyTo, channel_id: channel.id, guild_id: guild.guild.id }
    : undefined;
  const repliedUser = reference ? fake.messages.get(reference.message_id)?.author : undefined;
  const message = fake.messages.create({
    channelId: channel.id,
    guildId: guild.guild.id,
    author,
    content,
    attachments,
    mentions: mentionsInGuild(guild, author.id, content, undefined, repliedUser),
    ...(reference ? { reference } : {}),
  });
  fake.unfurls.schedule(message.id, unfurlImageLinks(content));
  return message;
}

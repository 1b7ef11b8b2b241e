/**
 * Direct messages from the bot to a person, as Discord has them: `POST /users/@me/channels` opens (or returns)
 * the DM channel with a recipient, and messages are posted to that channel. A person who does not accept DMs
 * from server members gets Discord's 50007 "Cannot send messages to this user".
 */
import {
  ChannelType,
  MessageType,
  type APIDMChannel,
  type ChannelFlags,
  type MessageFlags,
  type APIMessage,
  type APIUser,
} from 'discord-api-types/v10';
import { DiscordApiError } from './errors.ts';
import { snowflake } from './snowflake.ts';

export const cannotMessageUser = () => new DiscordApiError(403, 50007, 'Cannot send messages to this user');

export interface DirectMessageInput {
  content: string;
  embeds: APIMessage['embeds'];
}

export class DirectMessageStore {
  private readonly channelsByUser = new Map<string, APIDMChannel>();
  private readonly messages = new Map<string, APIMessage[]>();
  private readonly closedTo = new Set<string>();

  constructor(
    private readonly bot: APIUser,
    /** Told about every DM sent (the sandbox page shows them to their recipient). */
    private readonly onSend: (recipientId: string, message: APIMessage) => void = () => {},
  ) {}

  /** The DM channel with this person, created on first use (Discord returns the same one every time). */
  open(recipient: APIUser): APIDMChannel {
    const existing = this.channelsByUser.get(recipient.id);
    if (existing) return existing;
    const channel: APIDMChannel = {
      id: snowflake(),
      type: ChannelType.DM,
      name: null,
      last_message_id: null,
      flags: 0 as ChannelFlags,
      recipients: [recipient],
    };
    this.channelsByUser.set(recipient.id, channel);
    this.messages.set(channel.id, []);
    return channel;
  }

  channel(channelId: string): APIDMChannel | undefined {
    return [...this.channelsByUser.values()].find((c) => c.id === channelId);
  }

  /** Posts the bot's message to a DM channel; refused like Discord when the recipient closed their DMs. */
  send(channelId: string, input: DirectMessageInput): APIMessage {
    const channel = this.channel(channelId);
    const recipient = channel?.recipients?.[0];
    if (!channel || !recipient) throw new DiscordApiError(404, 10003, 'Unknown Channel');
    if (this.closedTo.has(recipient.id)) throw cannotMessageUser();
    const message: APIMessage = {
      id: snowflake(),
      channel_id: channel.id,
      author: this.bot,
      content: input.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: input.embeds,
      pinned: false,
      type: MessageType.Default,
      flags: 0 as MessageFlags,
      components: [],
    };
    this.messages.get(channel.id)!.push(message);
    channel.last_message_id = message.id;
    this.onSend(recipient.id, message);
    return message;
  }

  /** Every DM the bot sent this person, oldest first. */
  to(userId: string): APIMessage[] {
    const channel = this.channelsByUser.get(userId);
    return channel ? [...this.messages.get(channel.id)!] : [];
  }

  /** The person turns off "Allow direct messages from server members". */
  close(userId: string): void {
    this.closedTo.add(userId);
  }
}

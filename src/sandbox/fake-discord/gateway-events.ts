import {
  GatewayDispatchEvents,
  type APIGuildMember,
  type APIUser,
  type GatewayGuildCreateDispatchData,
  type GatewayMessageCreateDispatchData,
} from 'discord-api-types/v10';
import type { FakeGateway } from './gateway.ts';
import { restMessage, type FakeMessage, type MessageChange } from './messages.ts';
import type { FakeGuild } from './world.ts';

/** GUILD_CREATE for one guild: the guild with its members and channels, as the bot gets it after READY. */
export function guildCreatePayload(g: FakeGuild): GatewayGuildCreateDispatchData {
  return {
    ...g.guild,
    joined_at: g.joinedAt,
    large: false,
    unavailable: false,
    member_count: g.members.size,
    voice_states: [],
    members: [...g.members.values()],
    channels: g.channels,
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

/** Turns a message store change into the gateway event Discord sends for it (none for ephemeral replies). */
export function dispatchMessageChange(
  gateway: FakeGateway,
  guilds: FakeGuild[],
  change: MessageChange,
): void {
  const E = GatewayDispatchEvents;
  if (change.type === 'delete') {
    gateway.dispatch(
      E.MessageDelete,
      { id: change.id, channel_id: change.channelId, guild_id: change.guildId },
      change.guildId,
    );
    return;
  }
  const message = change.message;
  const guild = guilds.find((g) => g.guild.id === message.guild_id)!;
  if (change.type !== 'reaction_add' && change.type !== 'reaction_remove') {
    if (change.ephemeral) return;
    gateway.dispatch(
      change.type === 'create' ? E.MessageCreate : E.MessageUpdate,
      gatewayMessage(guild, message),
      guild.guild.id,
    );
    return;
  }
  const common = {
    user_id: change.userId,
    channel_id: message.channel_id,
    message_id: message.id,
    guild_id: guild.guild.id,
    emoji: change.emoji,
    burst: false,
    type: 0 as const,
  };
  if (change.type === 'reaction_add') {
    const member = guild.members.get(change.userId);
    gateway.dispatch(
      E.MessageReactionAdd,
      {
        ...common,
        ...(member?.user ? { member: member as APIGuildMember & { user: APIUser } } : {}),
        message_author_id: message.author.id,
        burst_colors: [],
      },
      guild.guild.id,
    );
  } else gateway.dispatch(E.MessageReactionRemove, common, guild.guild.id);
}

/** A message as the gateway carries it: with guild_id, the author's member and each mentioned user's member. */
function gatewayMessage(guild: FakeGuild, message: FakeMessage): GatewayMessageCreateDispatchData {
  const member = message.webhook_id ? undefined : guild.members.get(message.author.id);
  const withMember = (u: APIUser) => {
    const m = guild.members.get(u.id);
    if (!m) return u;
    const { user: _user, ...rest } = m;
    return { ...u, member: rest };
  };
  const rest = restMessage(message);
  const { user: _user, ...memberNoUser } = member ?? ({} as APIGuildMember);
  return {
    ...rest,
    guild_id: guild.guild.id,
    mentions: message.mentions.map(withMember),
    ...(member ? { member: memberNoUser } : {}),
  };
}

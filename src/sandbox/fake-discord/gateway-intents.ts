/** Which gateway events a session receives (intents, shards) and what it sees of them. */
import {
  GatewayDispatchEvents,
  GatewayIntentBits,
  type APIMessage,
  type GatewayDispatchPayload,
  type GatewayMessageCreateDispatchData,
} from 'discord-api-types/v10';

export type DispatchEvent = GatewayDispatchPayload['t'];

const MESSAGE_EVENTS = new Set<DispatchEvent>([
  GatewayDispatchEvents.MessageCreate,
  GatewayDispatchEvents.MessageUpdate,
  GatewayDispatchEvents.MessageDelete,
  GatewayDispatchEvents.MessageDeleteBulk,
]);
const REACTION_EVENTS = new Set<DispatchEvent>([
  GatewayDispatchEvents.MessageReactionAdd,
  GatewayDispatchEvents.MessageReactionRemove,
  GatewayDispatchEvents.MessageReactionRemoveAll,
  GatewayDispatchEvents.MessageReactionRemoveEmoji,
]);
const GUILD_EVENTS = new Set<DispatchEvent>([
  GatewayDispatchEvents.GuildCreate,
  GatewayDispatchEvents.GuildUpdate,
  GatewayDispatchEvents.GuildDelete,
  GatewayDispatchEvents.ChannelCreate,
  GatewayDispatchEvents.ChannelUpdate,
  GatewayDispatchEvents.ChannelDelete,
  GatewayDispatchEvents.GuildRoleCreate,
  GatewayDispatchEvents.GuildRoleUpdate,
  GatewayDispatchEvents.GuildRoleDelete,
]);

/** The intent a session needs to receive an event (undefined: always sent). */
export function requiredIntent(t: DispatchEvent, inGuild: boolean): number | undefined {
  if (MESSAGE_EVENTS.has(t))
    return inGuild ? GatewayIntentBits.GuildMessages : GatewayIntentBits.DirectMessages;
  if (REACTION_EVENTS.has(t))
    return inGuild ? GatewayIntentBits.GuildMessageReactions : GatewayIntentBits.DirectMessageReactions;
  if (GUILD_EVENTS.has(t)) return GatewayIntentBits.Guilds;
  return undefined;
}

/** The shard that receives a guild's events, as Discord computes it. */
export const shardOf = (guildId: string, shardCount: number) =>
  Number((BigInt(guildId) >> 22n) % BigInt(shardCount));

/**
 * An event's data as a session with these intents receives it: without MESSAGE_CONTENT, guild messages neither
 * from nor mentioning the bot lose their content.
 */
export function visibleData(
  event: { t: DispatchEvent; d: unknown; guildId?: string },
  intents: number,
  botId: string,
): unknown {
  if (event.t !== GatewayDispatchEvents.MessageCreate && event.t !== GatewayDispatchEvents.MessageUpdate)
    return event.d;
  if (intents & GatewayIntentBits.MessageContent || !event.guildId) return event.d;
  return withoutContent(event.d as GatewayMessageCreateDispatchData, botId);
}

function withoutContent<M extends APIMessage>(message: M, botId: string): M {
  const referenced = message.referenced_message
    ? { referenced_message: withoutContent(message.referenced_message, botId) }
    : {};
  if (message.author.id === botId || message.mentions.some((u) => u.id === botId))
    return { ...message, ...referenced };
  const { poll: _poll, ...rest } = message;
  return {
    ...rest,
    ...referenced,
    content: '',
    embeds: [],
    attachments: [],
    components: [],
  } as unknown as M;
}

import { EventEmitter } from 'node:events';
import {
  EmbedType,
  MessageFlags,
  MessageType,
  type APIActionRowComponent,
  type APIAttachment,
  type APIComponentInMessageActionRow,
  type APIEmbed,
  type APIMessage,
  type APIMessageReference,
  type APIPartialEmoji,
  type APIReaction,
  type APIUser,
  type APIMessageInteractionMetadata,
} from 'discord-api-types/v10';
import { snowflake } from './snowflake.ts';
import type { Mentions } from './mentions.ts';

export interface FakeReaction extends APIReaction {
  /** Ids of the users who reacted, in order. Not part of Discord's payload; stripped from REST replies. */
  users: string[];
}

/** A message as tests see it: Discord's shape plus guild_id and reactions with their users. */
export type FakeMessage = Omit<APIMessage, 'reactions'> & { guild_id: string; reactions: FakeReaction[] };

interface StoredMessage {
  data: APIMessage;
  guildId: string;
  reactions: { emoji: APIPartialEmoji; users: string[] }[];
  /** Ephemeral interaction replies exist only for this user; Discord never dispatches or lists them. */
  ephemeralFor?: string;
}

export interface NewMessage {
  channelId: string;
  guildId: string;
  author: APIUser;
  content?: string;
  embeds?: APIEmbed[];
  attachments?: APIAttachment[];
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
  mentions: Mentions;
  type?: MessageType;
  flags?: number;
  reference?: APIMessageReference;
  tts?: boolean;
  nonce?: string | number;
  webhookId?: string;
  applicationId?: string;
  interactionMetadata?: APIMessageInteractionMetadata;
  ephemeralFor?: string;
}

export interface MessagePatch {
  content?: string | null;
  embeds?: APIEmbed[] | null;
  flags?: number | null;
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[] | null;
  /** The attachments to keep (by id) followed by new ones; undefined keeps all. */
  attachments?: APIAttachment[];
  mentions?: Mentions;
}

export type MessageChange =
  | { type: 'create'; message: FakeMessage; ephemeral: boolean }
  | { type: 'update'; message: FakeMessage; ephemeral: boolean }
  | { type: 'delete'; id: string; channelId: string; guildId: string }
  | { type: 'reaction_add'; message: FakeMessage; userId: string; emoji: APIPartialEmoji }
  | { type: 'reaction_remove'; message: FakeMessage; userId: string; emoji: APIPartialEmoji };

/** Key for one emoji on one message: unicode name, or name:id for custom emoji (as in REST paths). */
export const emojiKey = (e: APIPartialEmoji) => (e.id ? `${e.name}:${e.id}` : (e.name ?? ''));

/** '👍' → { id: null, name: '👍' }; 'dog:123' or '<:dog:123>' → custom emoji. */
export function parseEmoji(text: string): APIPartialEmoji {
  const custom = /^<?a?:?([\w~]+):(\d+)>?$/.exec(text);
  return custom ? { id: custom[2]!, name: custom[1]! } : { id: null, name: text };
}

/** Every message and reaction in the fake; emits a MessageChange for each change. */
export class MessageStore extends EventEmitter<{ change: [MessageChange] }> {
  private readonly messages = new Map<string, StoredMessage>();
  private readonly order: string[] = [];

  /** The bot's id: its own reactions show as `me`. */
  constructor(private readonly botId: string) {
    super();
  }

  create(input: NewMessage): FakeMessage {
    const referenced = input.reference?.message_id
      ? this.messages.get(input.reference.message_id)
      : undefined;
    const data: APIMessage = {
      id: snowflake(),
      channel_id: input.channelId,
      author: input.author,
      content: input.content ?? '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: input.tts ?? false,
      ...input.mentions,
      attachments: input.attachments ?? [],
      embeds: normalizeEmbeds(input.embeds ?? []),
      components: input.components ?? [],
      pinned: false,
      type: input.type ?? (input.reference ? MessageType.Reply : MessageType.Default),
      flags: input.flags ?? 0,
      ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
      ...(input.webhookId ? { webhook_id: input.webhookId } : {}),
      ...(input.applicationId ? { application_id: input.applicationId } : {}),
      ...(input.interactionMetadata ? { interaction_metadata: input.interactionMetadata } : {}),
      ...(input.reference
        ? {
            message_reference: { type: 0, guild_id: input.guildId, ...input.reference },
            referenced_message: referenced ? referenced.data : null,
          }
        : {}),
    };
    const stored: StoredMessage = { data, guildId: input.guildId, reactions: [] };
    if (input.ephemeralFor) stored.ephemeralFor = input.ephemeralFor;
    this.messages.set(data.id, stored);
    this.order.push(data.id);
    this.emit('change', { type: 'create', message: this.view(stored), ephemeral: !!stored.ephemeralFor });
    return this.view(stored);
  }

  edit(id: string, patch: MessagePatch): FakeMessage | undefined {
    const stored = this.messages.get(id);
    if (!stored) return undefined;
    const d = stored.data;
    if (patch.content !== undefined) d.content = patch.content ?? '';
    if (patch.embeds !== undefined) d.embeds = normalizeEmbeds(patch.embeds ?? []);
    if (patch.components !== undefined) d.components = patch.components ?? [];
    if (patch.attachments !== undefined) d.attachments = patch.attachments;
    if (patch.mentions) Object.assign(d, patch.mentions);
    // Editing a deferred ("thinking…") reply ends its loading state; SUPPRESS_EMBEDS is the only flag an edit may set.
    const keep =
      (d.flags ?? 0) & (MessageFlags.Ephemeral | MessageFlags.IsCrosspost | MessageFlags.HasThread);
    d.flags = keep | ((patch.flags ?? 0) & MessageFlags.SuppressEmbeds);
    d.edited_timestamp = new Date().toISOString();
    this.emit('change', { type: 'update', message: this.view(stored), ephemeral: !!stored.ephemeralFor });
    return this.view(stored);
  }

  /** Link previews Discord adds after the create: embeds appended, the message is not marked edited. */
  addEmbeds(id: string, embeds: APIEmbed[]): FakeMessage | undefined {
    const stored = this.messages.get(id);
    if (!stored) return undefined;
    stored.data.embeds = normalizeEmbeds([...stored.data.embeds, ...embeds]);
    this.emit('change', { type: 'update', message: this.view(stored), ephemeral: !!stored.ephemeralFor });
    return this.view(stored);
  }

  delete(id: string): boolean {
    const stored = this.messages.get(id);
    if (!stored) return false;
    this.messages.delete(id);
    this.order.splice(this.order.indexOf(id), 1);
    this.emit('change', { type: 'delete', id, channelId: stored.data.channel_id, guildId: stored.guildId });
    return true;
  }

  get(id: string): FakeMessage | undefined {
    const stored = this.messages.get(id);
    return stored && this.view(stored);
  }

  /**
   * Whether the message exists and has been edited, without copying it: reply waiters probe this on every
   * change, and copying the message each time made hundreds of waiters cost the fake seconds per burst.
   */
  editState(id: string): { edited: boolean } | undefined {
    const stored = this.messages.get(id);
    return stored && { edited: stored.data.edited_timestamp !== null };
  }

  isEphemeral(id: string): boolean {
    return !!this.messages.get(id)?.ephemeralFor;
  }

  /** Messages of a channel, oldest first; ephemeral replies only when asked for (Discord never lists them). */
  list(channelId: string, { includeEphemeral = false } = {}): FakeMessage[] {
    return this.order
      .map((id) => this.messages.get(id)!)
      .filter((m) => m.data.channel_id === channelId && (includeEphemeral || !m.ephemeralFor))
      .map((m) => this.view(m));
  }

  all(): FakeMessage[] {
    return this.order.map((id) => this.view(this.messages.get(id)!));
  }

  /** Adds a reaction; false when this user already had it (Discord answers 204 either way). */
  react(id: string, emoji: APIPartialEmoji, userId: string, add: boolean): boolean {
    const stored = this.messages.get(id);
    if (!stored) return false;
    const key = emojiKey(emoji);
    let entry = stored.reactions.find((r) => emojiKey(r.emoji) === key);
    if (add) {
      if (!entry) stored.reactions.push((entry = { emoji: { id: emoji.id, name: emoji.name }, users: [] }));
      if (entry.users.includes(userId)) return false;
      entry.users.push(userId);
    } else {
      if (!entry?.users.includes(userId)) return false;
      entry.users.splice(entry.users.indexOf(userId), 1);
      if (entry.users.length === 0) stored.reactions.splice(stored.reactions.indexOf(entry), 1);
    }
    this.emit('change', {
      type: add ? 'reaction_add' : 'reaction_remove',
      message: this.view(stored),
      userId,
      emoji,
    });
    return true;
  }

  clearReactions(id: string, emoji?: APIPartialEmoji): void {
    const stored = this.messages.get(id);
    if (!stored) return;
    stored.reactions = emoji ? stored.reactions.filter((r) => emojiKey(r.emoji) !== emojiKey(emoji)) : [];
    this.emit('change', { type: 'update', message: this.view(stored), ephemeral: !!stored.ephemeralFor });
  }

  private view(stored: StoredMessage): FakeMessage {
    const botId = this.botId;
    const reactions: FakeReaction[] = stored.reactions.map((r) => ({
      emoji: r.emoji,
      count: r.users.length,
      count_details: { burst: 0, normal: r.users.length },
      me: r.users.includes(botId),
      me_burst: false,
      burst_colors: [],
      users: [...r.users],
    }));
    return structuredClone({ ...stored.data, guild_id: stored.guildId, reactions });
  }
}

/** Discord stores embeds with a type ('rich' unless given) and every field's inline flag. */
function normalizeEmbeds(embeds: APIEmbed[]): APIEmbed[] {
  return embeds.map((e) => ({
    ...e,
    type: e.type ?? EmbedType.Rich,
    ...(e.fields ? { fields: e.fields.map((f) => ({ ...f, inline: f.inline ?? false })) } : {}),
  }));
}

/** A message as REST returns it: reactions without the fake's `users` list. */
export function restMessage(m: FakeMessage): APIMessage & { guild_id?: string } {
  const { reactions, ...rest } = m;
  const out: APIMessage = { ...rest };
  if (reactions.length) out.reactions = reactions.map(({ users: _users, ...r }) => r);
  return out;
}

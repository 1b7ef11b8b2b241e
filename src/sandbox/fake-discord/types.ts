import type { APIApplicationCommandOptionChoice, InteractionResponseType } from 'discord-api-types/v10';
import type { GuildInteraction, OptionValue } from './interactions.ts';
import type { UploadFile } from './cdn.ts';
import type { FakeMessage } from './messages.ts';
import type { GuildSpec } from './world.ts';

export interface FakeDiscordOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** The bot token the fake accepts (REST `Authorization: Bot <token>` and gateway IDENTIFY). */
  token?: string;
  guilds?: GuildSpec[];
  /** What GET /gateway/bot recommends. */
  shards?: number;
  heartbeatIntervalMs?: number;
  /** Discord rejects an interaction callback after 3 s with 10062 Unknown interaction. */
  interactionAckTimeoutMs?: number;
  /**
   * Like Discord, a posted image link arrives without embeds; the unfurled embed follows in a MESSAGE_UPDATE
   * this long after the create.
   */
  unfurlDelayMs?: number;
}

export interface RecordedFile {
  field: string;
  name: string;
  bytes: Buffer;
  contentType: string;
}

export interface RecordedRequest {
  method: string;
  /** Decoded path without the /api/v10 prefix, e.g. /webhooks/1/tok/messages/@original. */
  path: string;
  /** The matched route pattern, e.g. /channels/:channel/messages; null for unknown routes. */
  route: string | null;
  query: Record<string, string>;
  /** Parsed JSON body (payload_json for multipart). */
  body: unknown;
  files: RecordedFile[];
  status: number;
  response: unknown;
  at: number;
}

export interface InteractionCallback {
  type: InteractionResponseType;
  data?: Record<string, unknown>;
}

/** @internal What the fake remembers about one interaction it sent. */
export interface InteractionState {
  payload: GuildInteraction;
  createdAt: number;
  callback?: InteractionCallback;
  originalId?: string;
  followUpIds: string[];
  choices?: APIApplicationCommandOptionChoice[];
}

/** A command run by a person, with helpers to await the bot's answer. */
export interface InteractionHandle {
  interaction: GuildInteraction;
  /** Resolves with the bot's first callback (reply, defer, autocomplete result…). */
  acknowledged(timeoutMs?: number): Promise<InteractionCallback>;
  /** Resolves with the reply once it has real content: a type-4 reply, or the first edit after a defer. */
  reply(timeoutMs?: number): Promise<FakeMessage>;
  /** Resolves when the original reply (after all edits so far) satisfies the predicate. */
  waitForReply(predicate: (m: FakeMessage) => boolean, timeoutMs?: number): Promise<FakeMessage>;
  original(): FakeMessage | undefined;
  followUps(): FakeMessage[];
}

export interface PostMessageInput {
  channelId: string;
  /** A user id or a key of `fake.users` ('alice', 'moderator', …). */
  userId: string;
  content?: string;
  files?: UploadFile[];
  replyTo?: string;
}

export interface ReactionInput {
  channelId?: string;
  messageId: string;
  userId: string;
  emoji: string;
}

export interface RunCommandInput {
  /** The command name; a subcommand follows after a space: 'model rollback'. */
  name: string;
  userId: string;
  channelId: string;
  options?: Record<string, OptionValue>;
}

export interface AutocompleteInput extends RunCommandInput {
  focusedOption: string;
  value: string;
}

export interface MessageCommandInput {
  name: string;
  userId: string;
  channelId: string;
  targetMessageId: string;
}

export interface ButtonClickInput {
  messageId: string;
  /** The button's custom_id. */
  customId: string;
  userId: string;
}

import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  ApplicationCommandType,
  ApplicationFlags,
  GatewayDispatchEvents,
  InteractionResponseType,
  InteractionType,
  type APIApplicationCommand,
  type APIApplicationCommandOptionChoice,
  type APIAttachment,
  type APIEmbed,
  type APIGuildMember,
  type APIMessage,
  type APITextChannel,
  type APIUser,
  type GatewayGuildCreateDispatchData,
  type GatewayMessageCreateDispatchData,
} from 'discord-api-types/v10';
import { log } from '../../log.ts';
import { CommandStore } from './commands.ts';
import { DirectMessageStore } from './direct-messages.ts';
import { DiscordApiError, routeNotFound, unauthorized } from './errors.ts';
import { FakeGateway } from './gateway.ts';
import { parseBody, type ReceivedFile } from './http-body.ts';
import {
  autocompleteInteraction,
  buildOptions,
  buttonInteraction,
  chatInputInteraction,
  messageCommandInteraction,
  type GuildInteraction,
  type InteractionContext,
  type OptionValue,
} from './interactions.ts';
import { resolveMentions, type Mentions } from './mentions.ts';
import {
  MessageStore,
  restMessage,
  type FakeMessage,
  type MessageChange,
  type UploadFile,
  parseEmoji,
} from './messages.ts';
import { decodeSegments, matchRoute, type Route } from './router.ts';
import { snowflake } from './snowflake.ts';
import { buildRoutes } from './rest-routes.ts';
import {
  createGuild,
  createUsers,
  DEFAULT_GUILDS,
  memberPermissions,
  type FakeGuild,
  type GuildSpec,
  type UserKey,
} from './world.ts';

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

type HttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;
type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

const DEFAULT_TIMEOUT_MS = 15_000;
const IMAGE_URL = /\bhttps?:\/\/\S+\.(?:png|jpe?g|gif|webp)(?:\?\S*)?/gi;

/**
 * A local Discord: REST (/api/v10), gateway (/gateway), attachment CDN (/attachments) and a file host (/files),
 * with a driving API for tests and the sandbox page. Start it with `startFakeDiscord()`.
 */
export class FakeDiscord extends EventEmitter<{
  request: [RecordedRequest];
  change: [MessageChange];
  commands: [];
  dm: [{ recipientId: string; message: APIMessage }];
}> {
  readonly token: string;
  readonly users: Record<UserKey, APIUser>;
  readonly guilds: FakeGuild[];
  readonly requests: RecordedRequest[] = [];
  readonly applicationId: string;
  readonly applicationFlags =
    ApplicationFlags.GatewayMessageContentLimited | ApplicationFlags.ApplicationCommandBadge;
  /** @internal */ readonly messages: MessageStore;
  /** @internal */ readonly commandStore: CommandStore;
  /** @internal */ readonly directMessages: DirectMessageStore;
  /** @internal */ readonly interactions = new Map<string, InteractionState>();
  /** @internal */ readonly hostedFiles = new Map<string, { bytes: Buffer; contentType: string }>();
  /** @internal */ readonly gateway: FakeGateway;
  readonly server: Server;
  baseUrl = '';
  readonly options: Required<Omit<FakeDiscordOptions, 'guilds'>>;
  private readonly routes: Route[];
  private readonly httpHandlers: HttpHandler[] = [];
  private readonly upgradeHandlers = new Map<string, UpgradeHandler>();
  private readonly pendingUnfurls = new Set<NodeJS.Timeout>();

  constructor(options: FakeDiscordOptions = {}) {
    super();
    this.setMaxListeners(0);
    this.options = {
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      token: options.token ?? 'fake-bot-token',
      shards: options.shards ?? 1,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      interactionAckTimeoutMs: options.interactionAckTimeoutMs ?? 3_000,
      unfurlDelayMs: options.unfurlDelayMs ?? 50,
    };
    this.token = this.options.token;
    this.users = createUsers();
    this.applicationId = this.users.bot.id;
    const epoch = Math.floor(Date.now() / 1000) * 1000 - 1000;
    this.guilds = (options.guilds ?? DEFAULT_GUILDS).map((spec, i) =>
      createGuild(spec, this.users, i, epoch),
    );
    this.messages = new MessageStore(() => this.baseUrl);
    this.messages.botId = this.users.bot.id;
    this.commandStore = new CommandStore(this.applicationId);
    this.directMessages = new DirectMessageStore(this.users.bot, (recipientId, message) =>
      this.emit('dm', { recipientId, message }),
    );
    this.gateway = new FakeGateway(
      {
        token: this.token,
        bot: this.users.bot,
        applicationId: this.applicationId,
        applicationFlags: this.applicationFlags,
        guildIds: () => this.guilds.map((g) => g.guild.id),
        guildCreate: (id) => this.guildCreate(id),
      },
      { heartbeatIntervalMs: this.options.heartbeatIntervalMs, resumeBufferSize: 1000 },
    );
    this.messages.on('change', (change) => this.onMessageChange(change));
    this.routes = buildRoutes(this);
    this.server = createServer((req, res) => void this.onHttp(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  /** @internal */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://${this.options.host}:${port}`;
    this.gateway.gatewayUrl = this.gatewayUrl;
  }

  /** For discord.js: `new Client({ rest: { api: fake.apiUrl } })` (discord.js adds /v10). */
  get apiUrl(): string {
    return `${this.baseUrl}/api`;
  }

  get gatewayUrl(): string {
    return `${this.baseUrl.replace(/^http/, 'ws')}/gateway`;
  }

  /** The first (main) guild: Moderators role, channels general and dog-photos by default. */
  get guild(): FakeGuild {
    return this.guilds[0]!;
  }

  /** A text channel by id or by name (in the main guild first). */
  channel(idOrName: string): APITextChannel {
    const all = this.guilds.flatMap((g) => g.channels);
    const found = all.find((c) => c.id === idOrName) ?? all.find((c) => c.name === idOrName);
    if (!found) throw new Error(`no channel ${idOrName}`);
    return found;
  }

  /** A user by id or by key ('alice', 'moderator', 'bot', …). */
  user(idOrKey: string): APIUser {
    const found = this.users[idOrKey as UserKey] ?? Object.values(this.users).find((u) => u.id === idOrKey);
    if (!found) throw new Error(`no user ${idOrKey}`);
    return found;
  }

  /** @internal */
  guildOfChannel(channelId: string): { guild: FakeGuild; channel: APITextChannel } | undefined {
    for (const guild of this.guilds) {
      const channel = guild.channels.find((c) => c.id === channelId);
      if (channel) return { guild, channel };
    }
    return undefined;
  }

  /** Registered commands (global when guildId is undefined). */
  commands(guildId?: string): APIApplicationCommand[] {
    return this.commandStore.list(guildId);
  }

  /** Every command a member of this guild sees (guild commands, then global). */
  visibleCommands(guildId: string = this.guild.guild.id): APIApplicationCommand[] {
    return this.commandStore.visibleIn(guildId);
  }

  channelMessages(channelId: string, opts: { includeEphemeral?: boolean } = {}): FakeMessage[] {
    return this.messages.list(this.channel(channelId).id, opts);
  }

  message(id: string): FakeMessage | undefined {
    return this.messages.get(id);
  }

  /** The direct messages the bot sent this person (a user id or key), oldest first. */
  dmsTo(idOrKey: string): APIMessage[] {
    return this.directMessages.to(this.user(idOrKey).id);
  }

  /** This person refuses DMs from server members: the bot's DMs fail with 50007, as on Discord. */
  refuseDms(idOrKey: string): void {
    this.directMessages.close(this.user(idOrKey).id);
  }

  /** Serves bytes at GET /files/:name and returns the URL. */
  hostFile(name: string, bytes: Uint8Array, contentType: string): string {
    this.hostedFiles.set(name, { bytes: Buffer.from(bytes), contentType });
    return `${this.baseUrl}/files/${encodeURIComponent(name)}`;
  }

  /**
   * Another person, a member of every guild without roles (like alice), for tests that need many people.
   * `user(username)` finds them afterwards. Members added after GUILD_CREATE reach the bot with each event.
   */
  addPerson(username: string): APIUser {
    const person: APIUser = { ...this.users.alice, id: snowflake(), username, global_name: username };
    (this.users as Record<string, APIUser>)[username] = person;
    for (const g of this.guilds) {
      const template = g.members.get(this.users.alice.id)!;
      g.members.set(person.id, { ...template, user: person, roles: [] });
    }
    return person;
  }

  // ---- what people do -------------------------------------------------------------------------------

  /**
   * A person posts a message (with files uploaded to the fake CDN); the bot gets MESSAGE_CREATE. Image links in
   * the text are unfurled as Discord does: MESSAGE_UPDATE with the embeds `unfurlDelayMs` later.
   */
  async postMessage(input: PostMessageInput): Promise<FakeMessage> {
    const author = this.user(input.userId);
    const { guild, channel } = this.requireChannel(input.channelId);
    const attachments: APIAttachment[] = [];
    for (const file of input.files ?? []) attachments.push(await this.messages.upload(channel.id, file));
    const content = input.content ?? '';
    const reference = input.replyTo
      ? { message_id: input.replyTo, channel_id: channel.id, guild_id: guild.guild.id }
      : undefined;
    const message = this.messages.create({
      channelId: channel.id,
      guildId: guild.guild.id,
      author,
      content,
      attachments,
      mentions: this.mentionsFor(guild, author.id, content, undefined, reference?.message_id),
      ...(reference ? { reference } : {}),
    });
    const embeds = unfurlImageLinks(content);
    if (embeds.length > 0) {
      const timer = setTimeout(() => {
        this.pendingUnfurls.delete(timer);
        this.unfurl(message.id, embeds);
      }, this.options.unfurlDelayMs);
      this.pendingUnfurls.add(timer);
    }
    return message;
  }

  /**
   * Discord adds link previews to a posted message (an image link's `image`/`thumbnail`): the embeds are set
   * without marking the message edited, and the bot gets MESSAGE_UPDATE. False when the message is gone.
   */
  unfurl(messageId: string, embeds: APIEmbed[]): boolean {
    return this.messages.addEmbeds(messageId, embeds) !== undefined;
  }

  addReaction(input: ReactionInput): boolean {
    return this.react(input, true);
  }

  removeReaction(input: ReactionInput): boolean {
    return this.react(input, false);
  }

  /** A person runs a slash command; options are typed from the registered command's definition. */
  async runCommand(input: RunCommandInput): Promise<InteractionHandle> {
    const { ctx, command, path } = this.commandContext(input, ApplicationCommandType.ChatInput);
    const built = await buildOptions(command, path, input.options ?? {}, ctx, (f) =>
      this.messages.upload(ctx.channel.id, f),
    );
    return this.sendInteraction(chatInputInteraction(ctx, command, built));
  }

  /** A person types into an autocomplete option; resolves with the choices the bot answered. */
  async autocomplete(
    input: AutocompleteInput,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<APIApplicationCommandOptionChoice[]> {
    const { ctx, command, path } = this.commandContext(input, ApplicationCommandType.ChatInput);
    const values = { ...(input.options ?? {}), [input.focusedOption]: input.value };
    const built = await buildOptions(
      command,
      path,
      values,
      ctx,
      (f) => this.messages.upload(ctx.channel.id, f),
      input.focusedOption,
    );
    const handle = this.sendInteraction(autocompleteInteraction(ctx, command, built));
    const callback = await handle.acknowledged(timeoutMs);
    if (callback.type !== InteractionResponseType.ApplicationCommandAutocompleteResult)
      throw new Error(`the bot answered autocomplete with callback type ${callback.type}`);
    return (callback.data?.choices as APIApplicationCommandOptionChoice[] | undefined) ?? [];
  }

  /** A person picks a message context-menu command ("Apps ▸ Classify breed") on a message. */
  runMessageCommand(input: MessageCommandInput): InteractionHandle {
    const { ctx, command } = this.commandContext(input, ApplicationCommandType.Message);
    const target = this.messages.get(input.targetMessageId);
    if (!target) throw new Error(`no message ${input.targetMessageId}`);
    return this.sendInteraction(messageCommandInteraction(ctx, command, restMessage(target)));
  }

  /**
   * A person clicks a button on a message. Like the Discord client, only a button the message shows (and not
   * disabled) can be clicked, and an ephemeral message only by the person it was for. The interaction's
   * `@original` is that message.
   */
  clickButton(input: ButtonClickInput): InteractionHandle {
    const user = this.user(input.userId);
    const message = this.messages.get(input.messageId);
    if (!message) throw new Error(`no message ${input.messageId}`);
    if (this.messages.isEphemeral(message.id) && message.interaction_metadata?.user.id !== user.id)
      throw new Error(`${user.username} cannot see the ephemeral message ${message.id}`);
    const button = (message.components ?? [])
      .flatMap((row) => ('components' in row ? (row.components as object[]) : []))
      .map((c) => c as { custom_id?: string; disabled?: boolean })
      .find((c) => c.custom_id === input.customId);
    if (!button || button.disabled)
      throw new Error(`message ${message.id} has no clickable button "${input.customId}"`);
    const { guild, channel } = this.requireChannel(message.channel_id);
    const ctx = { guild, channel, user, applicationId: this.applicationId, botId: this.users.bot.id };
    return this.sendInteraction(buttonInteraction(ctx, restMessage(message), input.customId), message.id);
  }

  // ---- waiting ---------------------------------------------------------------------------------------

  /** Resolves with the first recorded REST call (past or future) matching the predicate. */
  waitForRequest(
    predicate: (r: RecordedRequest) => boolean,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<RecordedRequest> {
    return this.waitUntil(() => this.requests.find(predicate), timeoutMs, 'a matching REST request');
  }

  /** Resolves with the first message (current state, edits applied) matching the predicate. */
  waitForMessage(
    predicate: (m: FakeMessage) => boolean,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<FakeMessage> {
    return this.waitUntil(() => this.messages.all().find(predicate), timeoutMs, 'a matching message');
  }

  /** The bot's reply to `messageId` (current state), once it carries at least `minReactions` reactions. */
  waitForBotReply(messageId: string, minReactions = 0, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<FakeMessage> {
    const botId = this.users.bot.id;
    return this.waitForMessage(
      (m) =>
        m.author.id === botId &&
        m.message_reference?.message_id === messageId &&
        m.reactions.length >= minReactions,
      timeoutMs,
    );
  }

  /** Re-checks `probe` after every REST call and message change until it returns something. */
  waitUntil<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake Discord: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('request', check);
        this.off('change', check);
      };
      this.on('request', check);
      this.on('change', check);
    });
  }

  // ---- gateway trouble (issue 6) -------------------------------------------------------------------

  /** Closes the gateway sockets; resumable (code 4000) clients resume and get what they missed exactly once. */
  dropConnection(opts: { resumable: boolean; abrupt?: boolean } = { resumable: true }): void {
    this.gateway.dropConnections(opts);
  }

  /** Sends op 9 INVALID_SESSION; not resumable by default, so clients IDENTIFY again and missed events are lost. */
  invalidateSession(opts: { resumable?: boolean } = {}): void {
    this.gateway.invalidateSessions({ resumable: opts.resumable ?? false });
  }

  /** Sends op 7 RECONNECT: clients reconnect and resume. */
  requestReconnect(): void {
    this.gateway.requestReconnect();
  }

  /** Delivers the latest MESSAGE_CREATE or INTERACTION_CREATE (or the given type) again with a new sequence number. */
  replayLastDispatch(
    type?: 'MESSAGE_CREATE' | 'INTERACTION_CREATE' | 'MESSAGE_REACTION_ADD' | 'MESSAGE_REACTION_REMOVE',
  ) {
    const types = type
      ? [type as GatewayDispatchEvents]
      : [GatewayDispatchEvents.MessageCreate, GatewayDispatchEvents.InteractionCreate];
    const replayed = this.gateway.replayLast(types);
    if (!replayed) throw new Error(`nothing to replay (${types.join(', ')})`);
    return replayed;
  }

  get connectedSessions(): number {
    return this.gateway.connectedSessions;
  }

  // ---- extension points for the sandbox page --------------------------------------------------------

  /** Adds an HTTP handler tried for paths outside /api, /attachments and /files; return true when handled. */
  addHttpHandler(handler: HttpHandler): void {
    this.httpHandlers.push(handler);
  }

  addUpgradeHandler(path: string, handler: UpgradeHandler): void {
    this.upgradeHandlers.set(path, handler);
  }

  async close(): Promise<void> {
    for (const timer of this.pendingUnfurls) clearTimeout(timer);
    this.pendingUnfurls.clear();
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- internals used by the REST routes -------------------------------------------------------------

  /** @internal */
  requireChannel(idOrName: string): { guild: FakeGuild; channel: APITextChannel } {
    const found = this.guildOfChannel(this.channel(idOrName).id);
    if (!found) throw new Error(`no channel ${idOrName}`);
    return found;
  }

  /** @internal Who a message from this author pings. */
  mentionsFor(
    guild: FakeGuild,
    authorId: string,
    content: string,
    allowed: Parameters<typeof resolveMentions>[1]['allowed'],
    replyToId?: string,
  ): Mentions {
    const replied = replyToId ? this.messages.get(replyToId) : undefined;
    return resolveMentions(content, {
      allowed,
      authorCanMentionEveryone: (memberPermissions(guild, authorId) & (1n << 17n)) !== 0n,
      findUser: (id) => guild.members.get(id)?.user,
      roleIds: new Set(guild.guild.roles.map((r) => r.id)),
      ...(replied ? { repliedUser: replied.author } : {}),
    });
  }

  /** @internal Uploads files received over REST as attachments of a message. */
  async uploadReceived(channelId: string, files: ReceivedFile[], meta: unknown): Promise<APIAttachment[]> {
    const described = Array.isArray(meta)
      ? (meta as { id: string | number; filename?: string; description?: string }[])
      : [];
    const out: APIAttachment[] = [];
    for (const file of files) {
      const index = /^files\[(\d+)\]$/.exec(file.field)?.[1] ?? file.field.replace(/^file/, '');
      const info = described.find((a) => String(a.id) === index);
      const upload: UploadFile = {
        filename: info?.filename ?? file.name,
        bytes: file.bytes,
        contentType: file.contentType,
        ...(info?.description ? { description: info.description } : {}),
      };
      out.push(await this.messages.upload(channelId, upload));
    }
    return out;
  }

  /** @internal */
  record(entry: RecordedRequest): void {
    this.requests.push(entry);
    this.emit('request', entry);
  }

  private react(input: ReactionInput, add: boolean): boolean {
    const user = this.user(input.userId);
    const message = this.messages.get(input.messageId);
    if (!message) throw new Error(`no message ${input.messageId}`);
    return this.messages.react(message.id, parseEmoji(input.emoji), user.id, add);
  }

  private commandContext(
    input: { name: string; userId: string; channelId: string },
    type: ApplicationCommandType,
  ): { ctx: InteractionContext; command: APIApplicationCommand; path: string[] } {
    const user = this.user(input.userId);
    const { guild, channel } = this.requireChannel(input.channelId);
    const [name, ...path] =
      type === ApplicationCommandType.ChatInput ? input.name.trim().split(/\s+/) : [input.name];
    const command = this.commandStore
      .visibleIn(guild.guild.id)
      .find((c) => c.name === name && c.type === type);
    if (!command) {
      const known = this.commandStore.visibleIn(guild.guild.id).map((c) => c.name);
      throw new Error(
        `no registered command "${name}" of type ${type} (registered: ${known.join(', ') || 'none'})`,
      );
    }
    const ctx = { guild, channel, user, applicationId: this.applicationId, botId: this.users.bot.id };
    return { ctx, command, path };
  }

  private sendInteraction(payload: GuildInteraction, originalId?: string): InteractionHandle {
    const state: InteractionState = { payload, createdAt: Date.now(), followUpIds: [] };
    if (originalId) state.originalId = originalId;
    this.interactions.set(payload.id, state);
    this.gateway.dispatch(GatewayDispatchEvents.InteractionCreate, payload, payload.guild_id);
    const original = () => (state.originalId ? this.messages.get(state.originalId) : undefined);
    const isAnswered = (m: FakeMessage | undefined) =>
      m &&
      !(
        state.callback?.type === InteractionResponseType.DeferredChannelMessageWithSource &&
        m.edited_timestamp === null
      );
    return {
      interaction: payload,
      acknowledged: (t = DEFAULT_TIMEOUT_MS) =>
        this.waitUntil(() => state.callback, t, `a callback to interaction ${payload.id}`),
      reply: (t = DEFAULT_TIMEOUT_MS) =>
        this.waitUntil(
          () => (isAnswered(original()) ? original() : undefined),
          t,
          `the reply to ${describe(payload)}`,
        ),
      waitForReply: (predicate, t = DEFAULT_TIMEOUT_MS) =>
        this.waitUntil(
          () => {
            const m = original();
            return m && predicate(m) ? m : undefined;
          },
          t,
          `a matching reply to ${describe(payload)}`,
        ),
      original,
      followUps: () =>
        state.followUpIds.map((id) => this.messages.get(id)).filter((m): m is FakeMessage => !!m),
    };
  }

  private guildCreate(guildId: string): GatewayGuildCreateDispatchData {
    const g = this.guilds.find((x) => x.guild.id === guildId)!;
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

  /** Turns store changes into gateway events (and 'change' events for the sandbox page). */
  private onMessageChange(change: MessageChange): void {
    this.emit('change', change);
    const E = GatewayDispatchEvents;
    if (change.type === 'delete') {
      this.gateway.dispatch(
        E.MessageDelete,
        { id: change.id, channel_id: change.channelId, guild_id: change.guildId },
        change.guildId,
      );
      return;
    }
    const message = change.message;
    const guild = this.guilds.find((g) => g.guild.id === message.guild_id)!;
    if (change.type !== 'reaction_add' && change.type !== 'reaction_remove') {
      if (change.ephemeral) return;
      this.gateway.dispatch(
        change.type === 'create' ? E.MessageCreate : E.MessageUpdate,
        this.gatewayMessage(guild, message),
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
      this.gateway.dispatch(
        E.MessageReactionAdd,
        {
          ...common,
          ...(member?.user ? { member: member as APIGuildMember & { user: APIUser } } : {}),
          message_author_id: message.author.id,
          burst_colors: [],
        },
        guild.guild.id,
      );
    } else this.gateway.dispatch(E.MessageReactionRemove, common, guild.guild.id);
  }

  private gatewayMessage(guild: FakeGuild, message: FakeMessage): GatewayMessageCreateDispatchData {
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

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl || 'http://127.0.0.1');
    try {
      if (url.pathname.startsWith('/api/')) return await this.onRest(req, res, url);
      if (
        req.method === 'GET' &&
        (url.pathname.startsWith('/attachments/') || url.pathname.startsWith('/files/'))
      )
        return this.onFile(res, decodeSegments(url.pathname));
      for (const handler of this.httpHandlers) if (await handler(req, res, url)) return;
      sendJson(res, 404, routeNotFound().toJSON());
    } catch (error) {
      log.error({ err: error, url: req.url }, 'fake Discord: request failed');
      if (!res.headersSent) sendJson(res, 500, { message: '500: Internal Server Error', code: 0 });
    }
  }

  private onFile(res: ServerResponse, segments: string[]): void {
    const file =
      segments[0] === 'attachments'
        ? (() => {
            const f = this.messages.files.get(segments[2] ?? '');
            return f && f.channelId === segments[1] && f.filename === segments[3] ? f : undefined;
          })()
        : this.hostedFiles.get(segments[1] ?? '');
    if (!file) return sendJson(res, 404, { message: '404: Not Found', code: 0 });
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.bytes.length });
    res.end(file.bytes);
  }

  private async onRest(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const segments = decodeSegments(url.pathname).slice(1);
    if (/^v\d+$/.test(segments[0] ?? '')) segments.shift();
    const path = '/' + segments.join('/');
    const query = Object.fromEntries(url.searchParams);
    const { body, files } = await parseBody(req).catch(() => ({ body: undefined, files: [] }));
    const match = matchRoute(this.routes, method, segments);
    let status: number;
    let response: unknown;
    try {
      if (!match) {
        log.warn({ method, path }, 'fake Discord: unknown route');
        throw routeNotFound();
      }
      if (match.route.auth && req.headers.authorization !== `Bot ${this.token}`) throw unauthorized();
      const result = await match.route.handler({
        params: match.params,
        query: url.searchParams,
        body,
        files,
      });
      status = result.status;
      response = result.body;
    } catch (error) {
      if (!(error instanceof DiscordApiError)) throw error;
      status = error.status;
      response = error.toJSON();
    }
    // Recorded before answering, so whoever sees the answer also finds the call in `requests`.
    this.record({
      method,
      path,
      route: match?.route.pattern ?? null,
      query,
      body,
      files: files.map((f) => ({ field: f.field, name: f.name, bytes: f.bytes, contentType: f.contentType })),
      status,
      response,
      at: Date.now(),
    });
    if (status === 204) {
      res.writeHead(204);
      res.end();
    } else sendJson(res, status, response);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/gateway') return this.gateway.handleUpgrade(req, socket, head);
    const handler = this.upgradeHandlers.get(path);
    if (handler) return handler(req, socket, head);
    socket.destroy();
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? null);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Discord unfurls image links into image embeds. */
function unfurlImageLinks(content: string): APIEmbed[] {
  return [...content.matchAll(IMAGE_URL)].slice(0, 5).map(([url]) => ({
    type: 'image' as APIEmbed['type'],
    url,
    thumbnail: { url, proxy_url: url },
  }));
}

function describe(payload: GuildInteraction): string {
  return payload.type === InteractionType.ApplicationCommand
    ? `/${payload.data.name}`
    : `interaction ${payload.id}`;
}

/** Starts a fake Discord on 127.0.0.1 (a free port unless one is given). */
export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const fake = new FakeDiscord(options);
  await fake.listen();
  return fake;
}

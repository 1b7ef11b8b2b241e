import type { Server } from 'node:http';
import { GatewayDispatchEvents, type APIApplicationCommandOptionChoice } from 'discord-api-types/v10';
import { FakeDiscordState } from './fake-state.ts';
import { FakeHttpServer, type HttpHandler, type UpgradeHandler } from './http-server.ts';
import { autocomplete, clickButton, runCommand, runMessageCommand } from './interaction-driver.ts';
import { parseEmoji, type FakeMessage } from './messages.ts';
import { postMessage } from './posting.ts';
import { buildRoutes } from './rest-routes.ts';
import type {
  AutocompleteInput,
  ButtonClickInput,
  FakeDiscordOptions,
  InteractionHandle,
  MessageCommandInput,
  PostMessageInput,
  ReactionInput,
  RecordedRequest,
  RunCommandInput,
} from './types.ts';
import { DEFAULT_TIMEOUT_MS } from './waiting.ts';

/**
 * A local Discord: REST (/api/v10), gateway (/gateway), attachment CDN (/attachments) and a file host (/files),
 * with a driving API for tests and the sandbox page. Start it with `startFakeDiscord()`.
 */
export class FakeDiscord extends FakeDiscordState {
  private readonly http: FakeHttpServer;

  constructor(options: FakeDiscordOptions = {}) {
    super(options);
    this.http = new FakeHttpServer({
      token: this.token,
      routes: buildRoutes(this),
      record: (entry) => this.record(entry),
      file: (segments) => this.cdn.find(segments),
      gatewayUpgrade: (req, socket, head) => this.gateway.handleUpgrade(req, socket, head),
    });
  }

  /** @internal */
  async listen(): Promise<void> {
    await this.http.listen(this.options.port, this.options.host);
    this.gateway.gatewayUrl = this.gatewayUrl;
  }

  get server(): Server {
    return this.http.server;
  }

  /** http://host:port, once listening. */
  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** For discord.js: `new Client({ rest: { api: fake.apiUrl } })` (discord.js adds /v10). */
  get apiUrl(): string {
    return `${this.baseUrl}/api`;
  }

  /** Serves bytes at GET /files/:name and returns the URL. */
  hostFile(name: string, bytes: Uint8Array, contentType: string): string {
    return this.cdn.host(name, bytes, contentType);
  }

  // ---- what people do -------------------------------------------------------------------------------

  /**
   * A person posts a message (with files uploaded to the fake CDN); the bot gets MESSAGE_CREATE. Image links in
   * the text are unfurled as Discord does: MESSAGE_UPDATE with the embeds `unfurlDelayMs` later.
   */
  postMessage(input: PostMessageInput): Promise<FakeMessage> {
    return postMessage(this, input);
  }

  addReaction(input: ReactionInput): boolean {
    return this.react(input, true);
  }

  removeReaction(input: ReactionInput): boolean {
    return this.react(input, false);
  }

  /** A person runs a slash command; options are typed from the registered command's definition. */
  runCommand(input: RunCommandInput): Promise<InteractionHandle> {
    return runCommand(this, input);
  }

  /** A person types into an autocomplete option; resolves with the choices the bot answered. */
  autocomplete(
    input: AutocompleteInput,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<APIApplicationCommandOptionChoice[]> {
    return autocomplete(this, input, timeoutMs);
  }

  /** A person picks a message context-menu command ("Apps ▸ Classify breed") on a message. */
  runMessageCommand(input: MessageCommandInput): InteractionHandle {
    return runMessageCommand(this, input);
  }

  /** A person clicks a button the message shows (see `clickButton` in interaction-driver.ts for the rules). */
  clickButton(input: ButtonClickInput): InteractionHandle {
    return clickButton(this, input);
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
    this.http.addHttpHandler(handler);
  }

  addUpgradeHandler(path: string, handler: UpgradeHandler): void {
    this.http.addUpgradeHandler(path, handler);
  }

  async close(): Promise<void> {
    this.unfurls.cancelAll();
    await this.gateway.close();
    await this.http.close();
  }

  private react(input: ReactionInput, add: boolean): boolean {
    const user = this.user(input.userId);
    const message = this.messages.get(input.messageId);
    if (!message) throw new Error(`no message ${input.messageId}`);
    return this.messages.react(message.id, parseEmoji(input.emoji), user.id, add);
  }
}

/** Starts a fake Discord on 127.0.0.1 (a free port unless one is given). */
export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const fake = new FakeDiscord(options);
  await fake.listen();
  return fake;
}

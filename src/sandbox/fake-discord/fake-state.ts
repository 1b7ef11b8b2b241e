import { EventEmitter } from 'node:events';
import {
  ApplicationFlags,
  type APIApplicationCommand,
  type APIEmbed,
  type APIMessage,
  type APITextChannel,
  type APIUser,
} from 'discord-api-types/v10';
import { AttachmentCdn } from './cdn.ts';
import { CommandStore } from './commands.ts';
import { DirectMessageStore } from './direct-messages.ts';
import { FakeGateway } from './gateway.ts';
import { dispatchMessageChange, guildCreatePayload } from './gateway-events.ts';
import { MessageStore, type FakeMessage, type MessageChange } from './messages.ts';
import { snowflake } from './snowflake.ts';
import type { FakeDiscordOptions, InteractionState, RecordedRequest } from './types.ts';
import { LinkUnfurler } from './unfurl.ts';
import { waitUntil } from './waiting.ts';
import { createGuild, createUsers, DEFAULT_GUILDS, type FakeGuild, type UserKey } from './world.ts';

export interface FakeDiscordEvents {
  request: [RecordedRequest];
  change: [MessageChange];
  commands: [];
  dm: [{ recipientId: string; message: APIMessage }];
}

/**
 * What the fake Discord knows: people, guilds, messages, files, commands, DMs and interactions, with the
 * gateway that announces each change. The REST routes and the driving API (FakeDiscord) work on this.
 */
export abstract class FakeDiscordState extends EventEmitter<FakeDiscordEvents> {
  readonly token: string;
  readonly users: Record<UserKey, APIUser>;
  readonly guilds: FakeGuild[];
  readonly requests: RecordedRequest[] = [];
  readonly applicationId: string;
  readonly applicationFlags =
    ApplicationFlags.GatewayMessageContentLimited | ApplicationFlags.ApplicationCommandBadge;
  /** @internal */ readonly messages: MessageStore;
  /** @internal */ readonly cdn: AttachmentCdn;
  /** @internal */ readonly unfurls: LinkUnfurler;
  /** @internal */ readonly commandStore: CommandStore;
  /** @internal */ readonly directMessages: DirectMessageStore;
  /** @internal */ readonly interactions = new Map<string, InteractionState>();
  /** @internal */ readonly gateway: FakeGateway;
  readonly options: Required<Omit<FakeDiscordOptions, 'guilds'>>;

  /** http://host:port, once listening. */
  abstract get baseUrl(): string;

  constructor(options: FakeDiscordOptions) {
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
    this.messages = new MessageStore(this.users.bot.id);
    this.cdn = new AttachmentCdn(() => this.baseUrl);
    this.unfurls = new LinkUnfurler(this.options.unfurlDelayMs, (id, embeds) => this.unfurl(id, embeds));
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
        guildCreate: (id) => guildCreatePayload(this.guilds.find((g) => g.guild.id === id)!),
      },
      { heartbeatIntervalMs: this.options.heartbeatIntervalMs, resumeBufferSize: 1000 },
    );
    this.messages.on('change', (change) => {
      this.emit('change', change);
      dispatchMessageChange(this.gateway, this.guilds, change);
    });
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

  /** @internal */
  requireChannel(idOrName: string): { guild: FakeGuild; channel: APITextChannel } {
    const found = this.guildOfChannel(this.channel(idOrName).id);
    if (!found) throw new Error(`no channel ${idOrName}`);
    return found;
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

  /**
   * Discord adds link previews to a posted message (an image link's `image`/`thumbnail`): the embeds are set
   * without marking the message edited, and the bot gets MESSAGE_UPDATE. False when the message is gone.
   */
  unfurl(messageId: string, embeds: APIEmbed[]): boolean {
    return this.messages.addEmbeds(messageId, embeds) !== undefined;
  }

  /** Re-checks `probe` after every REST call and message change until it returns something. */
  waitUntil<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return waitUntil(this, probe, timeoutMs, what);
  }

  /** @internal */
  record(entry: RecordedRequest): void {
    this.requests.push(entry);
    this.emit('request', entry);
  }
}

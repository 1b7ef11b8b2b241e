import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import {
  GatewayCloseCodes,
  GatewayDispatchEvents,
  GatewayIntentBits,
  GatewayOpcodes,
  type GatewayDispatchPayload,
  type GatewayGuildCreateDispatchData,
  type GatewayIdentifyData,
  type GatewayReadyDispatchData,
  type GatewayReceivePayload,
  type GatewayResumeData,
  type APIUser,
} from 'discord-api-types/v10';
import { log } from '../../log.ts';
import { requiredIntent, shardOf, visibleData, type DispatchEvent } from './gateway-intents.ts';

export type DispatchData<T extends DispatchEvent> = Extract<GatewayDispatchPayload, { t: T }>['d'];

/** What the gateway needs to know about the world it serves. */
export interface GatewayWorld {
  token: string;
  bot: APIUser;
  applicationId: string;
  applicationFlags: number;
  guildIds(): string[];
  guildCreate(guildId: string): GatewayGuildCreateDispatchData;
}

export interface GatewayOptions {
  heartbeatIntervalMs: number;
  /** Dispatches kept per session for RESUME. */
  resumeBufferSize: number;
}

interface Dispatched {
  t: DispatchEvent;
  d: unknown;
  guildId?: string;
}

interface Session {
  id: string;
  intents: number;
  shard: [number, number];
  seq: number;
  buffer: { t: DispatchEvent; s: number; d: unknown }[];
  socket?: WebSocket;
}

/**
 * Discord's gateway over WebSocket: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME with replay of
 * missed events, INVALID_SESSION, intents (including MESSAGE_CONTENT) and shards.
 */
export class FakeGateway {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private readonly history: Dispatched[] = [];

  constructor(
    private readonly world: GatewayWorld,
    private readonly options: GatewayOptions,
  ) {
    this.wss.on('connection', (socket) => this.onConnection(socket));
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  /** Number of sessions with an open socket. */
  get connectedSessions(): number {
    return [...this.sessions.values()].filter((s) => s.socket?.readyState === WebSocket.OPEN).length;
  }

  /** Sends an event to every session that should get it (by shard and intents); disconnected sessions buffer it. */
  dispatch<T extends DispatchEvent>(t: T, d: DispatchData<T>, guildId?: string): void {
    this.history.push({ t, d, ...(guildId ? { guildId } : {}) });
    if (this.history.length > this.options.resumeBufferSize) this.history.shift();
    this.deliver({ t, d, ...(guildId ? { guildId } : {}) });
  }

  /** Sends the latest dispatch of these types again with a new sequence number, as a reconnect replay can. */
  replayLast(types: DispatchEvent[]): { t: DispatchEvent; d: unknown } | undefined {
    const last = this.history.findLast((e) => types.includes(e.t));
    if (last) this.deliver(last);
    return last && { t: last.t, d: last.d };
  }

  /** Closes every socket. Resumable: code 4000 (the client resumes); else 1000 and the session is forgotten. */
  dropConnections({ resumable, abrupt = false }: { resumable: boolean; abrupt?: boolean }): void {
    for (const session of this.sessions.values()) {
      const socket = session.socket;
      if (!socket) continue;
      session.socket = undefined;
      if (!resumable) this.sessions.delete(session.id);
      if (abrupt) socket.terminate();
      else socket.close(resumable ? GatewayCloseCodes.UnknownError : 1000, 'dropped by the fake');
    }
  }

  /** Op 9 to every connected session; with resumable=false the sessions are forgotten and must IDENTIFY again. */
  invalidateSessions({ resumable }: { resumable: boolean }): void {
    for (const session of [...this.sessions.values()]) {
      if (!session.socket) continue;
      if (!resumable) this.sessions.delete(session.id);
      this.send(session.socket, { op: GatewayOpcodes.InvalidSession, d: resumable, t: null, s: null });
    }
  }

  /** Op 7: asks every client to reconnect and resume. */
  requestReconnect(): void {
    for (const session of this.sessions.values())
      if (session.socket)
        this.send(session.socket, { op: GatewayOpcodes.Reconnect, d: undefined, t: null, s: null });
  }

  close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.sessions.clear();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private deliver(event: Dispatched): void {
    for (const session of this.sessions.values()) {
      const inGuild = event.guildId !== undefined;
      if (inGuild && shardOf(event.guildId!, session.shard[1]) !== session.shard[0]) continue;
      const intent = requiredIntent(event.t, inGuild);
      if (intent !== undefined && !(session.intents & intent)) continue;
      this.sendDispatch(session, event.t, visibleData(event, session.intents, this.world.bot.id));
    }
  }

  private sendDispatch(session: Session, t: DispatchEvent, d: unknown): void {
    const s = ++session.seq;
    session.buffer.push({ t, s, d });
    if (session.buffer.length > this.options.resumeBufferSize) session.buffer.shift();
    if (session.socket)
      this.send(session.socket, { op: GatewayOpcodes.Dispatch, t, s, d } as GatewayDispatchPayload);
  }

  private send(socket: WebSocket, payload: GatewayReceivePayload): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
  }

  private onConnection(socket: WebSocket): void {
    let session: Session | undefined;
    this.send(socket, {
      op: GatewayOpcodes.Hello,
      d: { heartbeat_interval: this.options.heartbeatIntervalMs },
      t: null,
      s: null,
    });
    socket.on('message', (raw) => {
      let payload: { op: number; d: unknown };
      try {
        payload = JSON.parse(String(raw));
      } catch {
        socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
        return;
      }
      switch (payload.op) {
        case GatewayOpcodes.Heartbeat:
          this.send(socket, { op: GatewayOpcodes.HeartbeatAck, d: undefined, t: null, s: null });
          break;
        case GatewayOpcodes.Identify:
          if (session) return socket.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
          session = this.identify(socket, payload.d as GatewayIdentifyData);
          break;
        case GatewayOpcodes.Resume:
          if (session) return socket.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
          session = this.resume(socket, payload.d as GatewayResumeData);
          break;
        case GatewayOpcodes.PresenceUpdate:
        case GatewayOpcodes.VoiceStateUpdate:
        case GatewayOpcodes.RequestGuildMembers:
          break;
        default:
          socket.close(GatewayCloseCodes.UnknownOpcode, 'Unknown opcode.');
      }
    });
    socket.on('close', (code) => {
      if (!session || session.socket !== socket) return;
      session.socket = undefined;
      // A client that closes with 1000/1001 ends its session; any other code leaves it resumable.
      if (code === 1000 || code === 1001) this.sessions.delete(session.id);
    });
  }

  private identify(socket: WebSocket, d: GatewayIdentifyData): Session | undefined {
    if (stripBot(d?.token) !== this.world.token) {
      socket.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
      return undefined;
    }
    const shard: [number, number] = d.shard ?? [0, 1];
    // A new IDENTIFY for a shard means its old disconnected sessions are dead.
    for (const s of this.sessions.values())
      if (!s.socket && s.shard[0] === shard[0] && s.shard[1] === shard[1]) this.sessions.delete(s.id);
    const session: Session = {
      id: randomBytes(16).toString('hex'),
      intents: Number(d.intents),
      shard,
      seq: 0,
      buffer: [],
      socket,
    };
    this.sessions.set(session.id, session);
    const guildIds = this.world.guildIds().filter((id) => shardOf(id, shard[1]) === shard[0]);
    const ready: GatewayReadyDispatchData = {
      v: 10,
      user: this.world.bot,
      guilds: guildIds.map((id) => ({ id, unavailable: true })),
      session_id: session.id,
      resume_gateway_url: this.gatewayUrlOf(socket),
      shard,
      application: {
        id: this.world.applicationId,
        flags: this.world.applicationFlags,
        flags_new: String(this.world.applicationFlags),
      },
    };
    this.sendDispatch(session, GatewayDispatchEvents.Ready, ready);
    for (const id of guildIds) {
      if (session.intents & GatewayIntentBits.Guilds)
        this.sendDispatch(session, GatewayDispatchEvents.GuildCreate, this.world.guildCreate(id));
    }
    return session;
  }

  private resume(socket: WebSocket, d: GatewayResumeData): Session | undefined {
    const session = this.sessions.get(d?.session_id);
    if (!session || stripBot(d.token) !== this.world.token) {
      this.send(socket, { op: GatewayOpcodes.InvalidSession, d: false, t: null, s: null });
      return undefined;
    }
    session.socket?.terminate();
    session.socket = socket;
    const missed = session.buffer.filter((e) => e.s > d.seq);
    log.debug({ session: session.id, from: d.seq, replayed: missed.length }, 'fake gateway: resume');
    for (const e of missed)
      this.send(socket, { op: GatewayOpcodes.Dispatch, t: e.t, s: e.s, d: e.d } as GatewayDispatchPayload);
    // Discord's RESUMED carries only a debug trace.
    this.sendDispatch(session, GatewayDispatchEvents.Resumed, { _trace: ['fake-discord'] });
    return session;
  }

  /** Where clients should reconnect: this server's own gateway URL. */
  gatewayUrl = '';
  private gatewayUrlOf(_socket: WebSocket): string {
    return this.gatewayUrl;
  }
}

function stripBot(token: unknown): string {
  return typeof token === 'string' ? token.replace(/^Bot\s+/i, '') : '';
}

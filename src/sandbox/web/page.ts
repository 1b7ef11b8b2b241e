import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import type { APIApplicationCommand } from 'discord-api-types/v10';
import { log } from '../../log.ts';
import type { FakeDiscord } from '../fake-discord/fake-discord.ts';
import { readRaw } from '../fake-discord/http-body.ts';
import type { FakeMessage, MessageChange } from '../fake-discord/messages.ts';
import type { OptionValue } from '../fake-discord/interactions.ts';
import { PERSON_NAMES, type PersonKey } from '../fake-discord/world.ts';

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/sandbox/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/sandbox/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  // A small icon, so a browser asking for one (at either address) gets no 404.
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
  '/favicon.ico': { file: 'favicon.svg', type: 'image/svg+xml' },
};

class BadRequest extends Error {}

/**
 * Serves the sandbox page at / on the fake's own server: a JSON API under /sandbox/api that acts as a person
 * (post, react, run commands) through the fake's driving API, and /sandbox-ws pushing every message change.
 */
export function attachSandboxPage(fake: FakeDiscord): { pageUrl: string } {
  const wss = new WebSocketServer({ noServer: true });
  fake.addUpgradeHandler('/sandbox-ws', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify({ type: 'hello' }));
    }),
  );
  const broadcast = (event: unknown) => {
    const text = JSON.stringify(event);
    for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(text);
  };
  fake.on('change', (change: MessageChange) => broadcast(pageEvent(change)));
  fake.on('commands', () => broadcast({ type: 'commands' }));
  fake.on('dm', ({ recipientId, message }) => broadcast({ type: 'dm', recipientId, message }));
  fake.server.on('close', () => wss.close());

  fake.addHttpHandler(async (req, res, url) => {
    const asset = req.method === 'GET' ? STATIC_FILES[url.pathname] : undefined;
    if (asset) {
      const body = await readFile(path.join(STATIC_DIR, asset.file));
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' });
      res.end(body);
      return true;
    }
    if (!url.pathname.startsWith('/sandbox/api/')) return false;
    try {
      const result = await handleApi(fake, req, url);
      if (result === undefined) return false;
      sendJson(res, 200, result);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof BadRequest)) log.warn({ err: error }, 'sandbox page: request failed');
      sendJson(res, 400, { error: message });
    }
    return true;
  });
  return { pageUrl: `${fake.baseUrl}/` };
}

/** A message as the page shows it: with its link in Discord's form, for "Copy message link". */
export function pageMessage(m: FakeMessage): FakeMessage & { link: string } {
  return { ...m, link: `https://discord.com/channels/${m.guild_id}/${m.channel_id}/${m.id}` };
}

function pageEvent(change: MessageChange) {
  if (change.type === 'delete') return { type: 'delete', id: change.id, channelId: change.channelId };
  return { type: change.type, message: pageMessage(change.message) };
}

async function handleApi(fake: FakeDiscord, req: IncomingMessage, url: URL): Promise<unknown> {
  const route = `${req.method} ${url.pathname.replace('/sandbox/api', '')}`;
  switch (route) {
    case 'GET /state':
      return state(fake);
    case 'GET /messages': {
      const channelId = url.searchParams.get('channelId') ?? '';
      const viewer = url.searchParams.get('userId') ?? '';
      return fake
        .channelMessages(channelId, { includeEphemeral: true })
        .filter((m) => !isHiddenFrom(m, viewer))
        .map(pageMessage);
    }
    case 'POST /messages': {
      const form = await readForm(req);
      const file = form.get('file');
      const files =
        file instanceof File && file.size > 0
          ? [{ filename: file.name, bytes: new Uint8Array(await file.arrayBuffer()), contentType: file.type }]
          : [];
      const content = String(form.get('content') ?? '');
      if (!content && files.length === 0)
        throw new BadRequest('Type a message, pick a file or paste an image URL.');
      return fake.postMessage({
        channelId: String(form.get('channelId')),
        userId: String(form.get('userId')),
        content,
        files,
      });
    }
    case 'POST /reactions': {
      const body = await readJson(req);
      const input = {
        messageId: String(body.messageId),
        userId: String(body.userId),
        emoji: String(body.emoji),
      };
      return { changed: body.add ? fake.addReaction(input) : fake.removeReaction(input) };
    }
    case 'POST /commands/run': {
      const form = await readForm(req);
      const options: Record<string, OptionValue> = JSON.parse(String(form.get('options') ?? '{}'));
      for (const [field, value] of formEntries(form))
        if (field.startsWith('file:') && value instanceof File && value.size > 0)
          options[field.slice(5)] = {
            filename: value.name,
            bytes: new Uint8Array(await value.arrayBuffer()),
            contentType: value.type,
          };
      const handle = await asBadRequest(() =>
        fake.runCommand({
          name: String(form.get('name')),
          userId: String(form.get('userId')),
          channelId: String(form.get('channelId')),
          options,
        }),
      );
      return { interactionId: handle.interaction.id };
    }
    case 'POST /commands/autocomplete': {
      const body = await readJson(req);
      const choices = await asBadRequest(() =>
        fake.autocomplete(
          {
            name: String(body.name),
            userId: String(body.userId),
            channelId: String(body.channelId),
            focusedOption: String(body.focusedOption),
            value: String(body.value ?? ''),
            options: (body.options ?? {}) as Record<string, OptionValue>,
          },
          3_000,
        ),
      );
      return { choices };
    }
    case 'GET /dms': {
      const userId = url.searchParams.get('userId') ?? '';
      return asBadRequest(async () => fake.dmsTo(userId));
    }
    case 'POST /buttons': {
      const body = await readJson(req);
      const handle = await asBadRequest(async () =>
        fake.clickButton({
          messageId: String(body.messageId),
          customId: String(body.customId),
          userId: String(body.userId),
        }),
      );
      return { interactionId: handle.interaction.id };
    }
    case 'POST /commands/message': {
      const body = await readJson(req);
      const handle = await asBadRequest(async () =>
        fake.runMessageCommand({
          name: String(body.name),
          userId: String(body.userId),
          channelId: String(body.channelId),
          targetMessageId: String(body.targetMessageId),
        }),
      );
      return { interactionId: handle.interaction.id };
    }
    default:
      return undefined;
  }
}

/** Ephemeral replies are shown only to the person who ran the command. */
function isHiddenFrom(m: FakeMessage, viewer: string): boolean {
  const ephemeral = (Number(m.flags ?? 0) & 64) !== 0;
  return ephemeral && m.interaction_metadata?.user?.id !== viewer;
}

function state(fake: FakeDiscord) {
  const commandView = (c: APIApplicationCommand) => ({
    id: c.id,
    name: c.name,
    type: c.type,
    description: c.description,
    options: c.options ?? [],
    default_member_permissions: c.default_member_permissions,
  });
  return {
    bot: fake.users.bot,
    botConnected: fake.connectedSessions > 0,
    users: PERSON_NAMES.map((key: PersonKey) => ({
      key,
      id: fake.users[key].id,
      name: fake.users[key].global_name ?? fake.users[key].username,
    })),
    guilds: fake.guilds.map((g) => ({
      id: g.guild.id,
      name: g.guild.name,
      channels: g.channels.map((c) => ({ id: c.id, name: c.name })),
      commands: fake.visibleCommands(g.guild.id).map(commandView),
    })),
  };
}

async function asBadRequest<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new BadRequest(error instanceof Error ? error.message : String(error));
  }
}

async function readForm(req: IncomingMessage): Promise<FormData> {
  const raw = await readRaw(req);
  const type = req.headers['content-type'] ?? 'application/x-www-form-urlencoded';
  return new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
}

function formEntries(form: FormData): [string, FormDataEntryValue][] {
  const entries: [string, FormDataEntryValue][] = [];
  form.forEach((value, key) => entries.push([key, value]));
  return entries;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readRaw(req);
  try {
    return JSON.parse(raw.toString('utf8') || '{}');
  } catch {
    throw new BadRequest('invalid JSON');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

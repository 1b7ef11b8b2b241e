import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { log } from '../../log.ts';
import type { StoredFile } from './cdn.ts';
import { DiscordApiError, routeNotFound, unauthorized } from './errors.ts';
import { parseBody } from './http-body.ts';
import { decodeSegments, matchRoute, type Route } from './router.ts';
import type { RecordedRequest } from './types.ts';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** What the HTTP front door hands each request to. */
export interface HttpBackend {
  token: string;
  routes: Route[];
  /** Called for every REST call, before it is answered. */
  record(entry: RecordedRequest): void;
  file(segments: string[]): StoredFile | undefined;
  gatewayUpgrade: UpgradeHandler;
}

/**
 * One HTTP server for REST (/api), files (/attachments, /files), the gateway upgrade (/gateway), and extra
 * handlers (the sandbox page) for every other path.
 */
export class FakeHttpServer {
  readonly server: Server;
  baseUrl = '';
  private readonly httpHandlers: HttpHandler[] = [];
  private readonly upgradeHandlers = new Map<string, UpgradeHandler>();

  constructor(private readonly backend: HttpBackend) {
    this.server = createServer((req, res) => void this.onHttp(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.baseUrl = `http://${host}:${address.port}`;
  }

  addHttpHandler(handler: HttpHandler): void {
    this.httpHandlers.push(handler);
  }

  addUpgradeHandler(path: string, handler: UpgradeHandler): void {
    this.upgradeHandlers.set(path, handler);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
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
    const file = this.backend.file(segments);
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
    const match = matchRoute(this.backend.routes, method, segments);
    let status: number;
    let response: unknown;
    try {
      if (!match) {
        log.warn({ method, path }, 'fake Discord: unknown route');
        throw routeNotFound();
      }
      if (match.route.auth && req.headers.authorization !== `Bot ${this.backend.token}`) throw unauthorized();
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
    this.backend.record({
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
    if (path === '/gateway') return this.backend.gatewayUpgrade(req, socket, head);
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

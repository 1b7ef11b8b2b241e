/**
 * The HTTP API for other tools (issue 12 §5): fastify on HTTP_API_HOST:HTTP_API_PORT, API key required, the
 * Breedbot interface behind it. The runtime starts it for the `bot` role when configured and closes it before
 * the services it calls (src/runtime/build-runtime.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import type { Breedbot } from '../app/breedbot.ts';
import { projectRoot, type HttpApiSettings } from '../config.ts';
import { log } from '../log.ts';
import { apiKeyCheck } from './auth.ts';
import { apiErrorOf, badKey, internalError, missingKey, notFound, shuttingDown } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { registerRoutes, sendError } from './routes.ts';

export interface HttpApi {
  /** e.g. http://127.0.0.1:8080 (the port the system gave when HTTP_API_PORT is 0). */
  readonly url: string;
  /** Every route registered, for the check that the OpenAPI document lists them all. */
  readonly routes: readonly { method: string; path: string }[];
  /** Refuses new requests (503), lets those in flight finish (at most DRAIN_MS), stops listening. */
  close(): Promise<void>;
}

/** How long close() lets requests in flight finish before it drops their connections. */
const DRAIN_MS = 10_000;
/** The longest a client may take to send its whole request. */
const REQUEST_TIMEOUT_MS = 30_000;

const packageVersion = (): string =>
  (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

export async function startHttpApi(app: Breedbot, settings: HttpApiSettings): Promise<HttpApi> {
  const server = Fastify({
    bodyLimit: settings.maxBodyBytes,
    logger: false,
    exposeHeadRoutes: false,
    // A client that trickles its request (headers and body) is cut off instead of holding a connection for minutes.
    requestTimeout: REQUEST_TIMEOUT_MS,
    // fastify's defaults would turn ["https://…"] into a string and drop unknown fields; the API refuses both.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    // What the router refuses before any route (a malformed path) answers in the API's format too.
    frameworkErrors: (error, _request, reply) => {
      void sendError(reply, apiErrorOf(error, settings.maxBodyBytes) ?? internalError);
    },
    // Our own 503 (below) answers in the API's error format.
    return503OnClosing: false,
  });
  const routes: { method: string; path: string }[] = [];
  server.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      routes.push({ method: method.toLowerCase(), path: route.url });
  });

  server.removeContentTypeParser('text/plain');
  const rawBytes = (_request: unknown, body: string | Buffer, done: (e: null, b: Buffer) => void) =>
    done(null, body as Buffer);
  server.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, rawBytes);
  server.addContentTypeParser(/^image\/[\w.+-]+$/i, { parseAs: 'buffer' }, rawBytes);

  let closing = false;
  const keys = apiKeyCheck(settings.keys);
  server.decorateRequest('requester', '');
  // Before the body is read: a request without a valid key never uploads its body into memory.
  server.addHook('onRequest', async (request, reply) => {
    if (closing) {
      void reply.header('connection', 'close');
      return sendError(reply, shuttingDown);
    }
    if (request.routeOptions.config.public) return;
    const verdict = keys.check(request.headers);
    if (verdict === 'missing') return sendError(reply, missingKey);
    if (verdict === 'bad') return sendError(reply, badKey);
    request.requester = verdict.requester;
  });
  server.setErrorHandler((error, request, reply) => {
    const known = apiErrorOf(error, settings.maxBodyBytes);
    if (!known)
      log.error({ err: error, method: request.method, url: request.url }, 'HTTP API request failed');
    return sendError(reply, known ?? internalError);
  });
  server.setNotFoundHandler((_request, reply) => sendError(reply, notFound));

  registerRoutes(server, app, openApiDocument(packageVersion()));
  await server.listen({ port: settings.port, host: settings.host });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const url = `http://${host}:${port}`;
  log.info({ url }, 'HTTP API listening');

  return {
    url,
    routes,
    async close() {
      closing = true;
      const drained = server.close();
      const timer = setTimeout(() => server.server.closeAllConnections(), DRAIN_MS);
      try {
        await drained;
      } finally {
        clearTimeout(timer);
      }
      log.info('HTTP API closed');
    },
  };
}

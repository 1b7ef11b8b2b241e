/**
 * The routes: POST /v1/classify (image bytes or {url}), GET /v1/model, GET /healthz, GET /v1/openapi.json.
 * They call the Breedbot interface only: the bot's rate limits, SSRF-safe intake and image limits apply as they are.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Breedbot } from '../app/breedbot.ts';
import { withDogs } from '../features/classify/classify.ts';
import { classifyOutput, outputDogs, type ClassifyOutput } from '../features/classify/classify-output.ts';
import type { ImageSource } from '../features/classify/types.ts';
import { errorBody, unsupportedMediaType, type ApiError } from './errors.ts';
import { classifyUrlBody } from './openapi.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answered without an API key. */
    public?: boolean;
  }
  interface FastifyRequest {
    /** Who the API key belongs to (a hash of it): the rate limits' and stored predictions' user. */
    requester: string;
  }
}

/** The channel stored predictions of API requests are filed under (no Discord channel has this id). */
export const HTTP_API_CHANNEL = 'http-api';
/** ClassifyOutput.input for image bytes sent as the body. */
export const BODY_INPUT = 'body';

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  if (error.retryAfterS !== undefined) void reply.header('retry-after', String(error.retryAfterS));
  if (error.status === 401) void reply.header('www-authenticate', 'Bearer realm="breedbot"');
  return reply.code(error.status).type('application/json; charset=utf-8').send(errorBody(error));
}

export function registerRoutes(server: FastifyInstance, app: Breedbot, openApi: object): void {
  server.post(
    '/v1/classify',
    { schema: { body: { content: { 'application/json': { schema: classifyUrlBody } } } } },
    async (request, reply): Promise<ClassifyOutput | FastifyReply> => {
      // Stored like the bot's photos; a request is its own source, so nothing is ever taken for a replay.
      const source: ImageSource = {
        guildId: null,
        channelId: HTTP_API_CHANNEL,
        interactionId: `http-api:${randomUUID()}`,
        userId: request.requester,
      };
      const body: unknown = request.body;
      // `dogs` too: each dog of a photo with several, when the detector is on (DETECTOR=on). One answer per
      // request, so it waits for the detector's second stage (the bot replies first and edits instead).
      if (Buffer.isBuffer(body)) {
        const classification = await withDogs(await app.classifyImageBytes(body, source));
        return classifyOutput(BODY_INPUT, classification.result, outputDogs(classification.dogs));
      }
      if (typeof body === 'object' && body !== null && 'url' in body && typeof body.url === 'string') {
        const classification = await withDogs(await app.classifyUrl(body.url, source, 'link'));
        return classifyOutput(body.url, classification.result, outputDogs(classification.dogs));
      }
      return sendError(reply, unsupportedMediaType); // no body at all
    },
  );

  server.get('/v1/model', async () => {
    const { activeVersion, backboneId, backend, breeds, detector } = await app.modelInfo();
    return { activeVersion, backboneId, backend, breeds, detector };
  });

  // The services answer only once the model is loaded and the store is open; while closing they refuse (503).
  server.get('/healthz', { config: { public: true } }, async () => ({
    status: 'ok' as const,
    modelVersion: (await app.modelInfo()).activeVersion,
  }));

  server.get('/v1/openapi.json', { config: { public: true } }, async () => openApi);
}

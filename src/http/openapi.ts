/**
 * The OpenAPI 3.1 document served at GET /v1/openapi.json. Written as data: the JSON schema the classify route
 * validates with is the one it documents, and a test checks that every registered route is described here.
 */
import { MAX_URL_LENGTH } from '../limits.ts';

/** The JSON form of POST /v1/classify; raw image bodies have no schema to validate. */
export const classifyUrlBody = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', minLength: 1, maxLength: MAX_URL_LENGTH, description: 'http(s) URL of an image' },
  },
} as const;

const breedProbability = {
  type: 'object',
  required: ['breed', 'probability'],
  properties: { breed: { type: 'string' }, probability: { type: 'number', minimum: 0, maximum: 1 } },
};

/** ClassifyOutput (src/features/classify/classify-output.ts), as `npm run classify -- --json` prints it. */
const classifyOutput = {
  type: 'object',
  required: ['input', 'isDog', 'top5', 'modelVersion'],
  properties: {
    input: { type: 'string', description: 'the URL asked for, or "body" for image bytes' },
    isDog: { type: 'boolean' },
    top5: { type: 'array', maxItems: 5, items: breedProbability },
    lookslike: {
      type: 'object',
      description: 'what the photo looks like when it is not a dog',
      required: ['label', 'probability'],
      properties: { label: { type: 'string' }, probability: { type: 'number' } },
    },
    mix: {
      type: 'array',
      description:
        'a dog photo with a close top two well above the rest: "looks like a mix of" these, most likely first',
      minItems: 2,
      maxItems: 2,
      items: { type: 'string' },
    },
    modelVersion: { type: 'string' },
    dogs: {
      type: 'array',
      description:
        'only with the detector on (DETECTOR=on) and several dogs found: each dog, left to right, named from its crop',
      items: {
        type: 'object',
        required: ['box', 'score', 'top5'],
        properties: {
          box: {
            type: 'object',
            description:
              'pixels of the photo as people see it (after EXIF orientation); x, y: top-left corner',
            required: ['x', 'y', 'width', 'height'],
            properties: {
              x: { type: 'integer' },
              y: { type: 'integer' },
              width: { type: 'integer' },
              height: { type: 'integer' },
            },
          },
          score: { type: 'number', description: "the detector's confidence" },
          top5: { type: 'array', maxItems: 5, items: breedProbability },
        },
      },
    },
  },
};

const modelInfo = {
  type: 'object',
  required: ['activeVersion', 'backboneId', 'backend', 'breeds', 'detector'],
  properties: {
    activeVersion: { type: 'string' },
    backboneId: { type: 'string', description: 'the models/<id>.model.json entry serving' },
    backend: { type: 'string', description: 'the tfjs backend or engine computing embeddings' },
    breeds: { type: 'integer', description: 'breeds the active head knows' },
    detector: {
      type: ['string', 'null'],
      description: 'what runs the dog detector (DETECTOR_ENGINE), or null when DETECTOR is off',
    },
  },
};

const health = {
  type: 'object',
  required: ['status', 'modelVersion'],
  properties: { status: { const: 'ok' }, modelVersion: { type: 'string' } },
};

const errorResponse = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
};

const json = (schema: object) => ({ 'application/json': { schema } });
const error = (codes: string) => ({
  description: `error codes: ${codes}`,
  content: json({ $ref: '#/components/schemas/Error' }),
});
const keyErrors = {
  '401': error('missing_api_key, bad_api_key'),
  '429': error('rate_limited (with Retry-After)'),
  '503': error('shutting_down, busy (with Retry-After)'),
};
const secured = [{ bearer: [] }, { apiKey: [] }];

export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'breedbot HTTP API',
      version,
      description:
        'Names the dog breed in a photo, with the model the Discord bot serves. Same rate limits and URL safety as the bot.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
      schemas: { ClassifyOutput: classifyOutput, ModelInfo: modelInfo, Health: health, Error: errorResponse },
    },
    paths: {
      '/v1/classify': {
        post: {
          summary: 'Classify one image: its bytes, or a URL the server fetches',
          security: secured,
          requestBody: {
            required: true,
            content: {
              'image/*': { schema: { type: 'string', format: 'binary' } },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              'application/json': { schema: classifyUrlBody },
            },
          },
          responses: {
            '200': {
              description: 'the classification',
              content: json({ $ref: '#/components/schemas/ClassifyOutput' }),
            },
            '400': error(
              'bad_json, bad_request, bad_url, bad_scheme, private_address, url_too_long, bad_content_length',
            ),
            '404': error('not_found'),
            '413': error('body_too_large, image_too_large'),
            '415': error('unsupported_media_type'),
            '422': error(
              'not_an_image, unsupported_format, svg_refused, corrupt_image, empty_image, too_many_pixels, image_too_slow, image_too_large',
            ),
            '502': error('dns_failed, unreachable, fetch_timeout, upstream_status, too_many_redirects'),
            ...keyErrors,
          },
        },
      },
      '/v1/model': {
        get: {
          summary: 'The model serving: active version, backbone, backend',
          security: secured,
          responses: {
            '200': {
              description: 'the serving model',
              content: json({ $ref: '#/components/schemas/ModelInfo' }),
            },
            ...keyErrors,
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'Liveness: 200 once the model is loaded and the store answers (no key needed)',
          security: [],
          responses: {
            '200': { description: 'serving', content: json({ $ref: '#/components/schemas/Health' }) },
            '503': error('shutting_down'),
          },
        },
      },
      '/v1/openapi.json': {
        get: {
          summary: 'This document (no key needed)',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } },
        },
      },
    },
  };
}

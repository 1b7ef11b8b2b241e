/**
 * Every failure the HTTP API can answer, as a status, a stable code and words for the developer reading the
 * response. The features' refusals and the image intake's codes are translated here; the features' own
 * messages are worded for chat, so the API says it in its own terms.
 */
import {
  ImageRejectedError,
  UrlRefusedError,
  type ImageRejectionCode,
  type UrlRefusalCode,
} from '../images/errors.ts';
import { MAX_URL_LENGTH } from '../limits.ts';
import { RateLimitedError, UserFacingError } from '../refusals.ts';

export interface ApiError {
  status: number;
  /** Stable: clients branch on it. */
  code: string;
  message: string;
  /** Seconds, for a Retry-After header. */
  retryAfterS?: number;
}

/** The JSON body of every error response. */
export const errorBody = (e: ApiError) => ({ error: { code: e.code, message: e.message } });

const ACCEPTED_FORMATS = 'JPEG, PNG, WebP, GIF, AVIF or TIFF';
const mib = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;

export const missingKey: ApiError = {
  status: 401,
  code: 'missing_api_key',
  message: 'Send the API key as "Authorization: Bearer <key>" or as an "x-api-key" header.',
};
export const badKey: ApiError = { status: 401, code: 'bad_api_key', message: 'That API key is not valid.' };
export const notFound: ApiError = {
  status: 404,
  code: 'not_found',
  message: 'No such route; GET /v1/openapi.json lists them.',
};
export const shuttingDown: ApiError = {
  status: 503,
  code: 'shutting_down',
  message: 'breedbot is shutting down; retry shortly.',
  retryAfterS: 5,
};
export const unsupportedMediaType: ApiError = {
  status: 415,
  code: 'unsupported_media_type',
  message:
    'Send the image bytes as image/* or application/octet-stream, or {"url": "https://..."} as application/json.',
};

const imageErrors: Record<ImageRejectionCode, (e: ImageRejectedError) => ApiError> = {
  not_an_image: () => ({
    status: 422,
    code: 'not_an_image',
    message: `The body is not an image (${ACCEPTED_FORMATS} are accepted).`,
  }),
  unsupported_format: (e) => ({
    status: 422,
    code: 'unsupported_format',
    message: `Image format ${e.details.format ?? 'unknown'} is not supported; send ${ACCEPTED_FORMATS}.`,
  }),
  svg_refused: () => ({
    status: 422,
    code: 'svg_refused',
    message: 'SVG and other markup images are refused.',
  }),
  corrupt: () => ({ status: 422, code: 'corrupt_image', message: 'The image is damaged or truncated.' }),
  too_slow: () => ({ status: 422, code: 'image_too_slow', message: 'The image took too long to decode.' }),
  empty: () => ({ status: 422, code: 'empty_image', message: 'The body is empty.' }),
  too_many_pixels: (e) => ({
    status: 422,
    code: 'too_many_pixels',
    message: `The image has more than ${e.details.limit ?? 0} pixels.`,
  }),
  too_many_bytes: (e) => ({
    status: 413,
    code: 'image_too_large',
    message: `The image is over the limit of ${mib(e.details.limit ?? 0)}.`,
  }),
};

const urlErrors: Record<UrlRefusalCode, (e: UrlRefusedError) => ApiError> = {
  bad_url: () => ({ status: 400, code: 'bad_url', message: '"url" is not a valid absolute URL.' }),
  bad_scheme: () => ({
    status: 400,
    code: 'bad_scheme',
    message: 'Only http:// and https:// URLs are fetched.',
  }),
  private_address: () => ({
    status: 400,
    code: 'private_address',
    message: 'The URL points to a private, loopback or link-local network address, which is never fetched.',
  }),
  dns_failed: () => ({ status: 502, code: 'dns_failed', message: "The URL's host name did not resolve." }),
  unreachable: () => ({
    status: 502,
    code: 'unreachable',
    message: "The URL's server could not be reached.",
  }),
  timeout: () => ({
    status: 502,
    code: 'fetch_timeout',
    message: "The URL's server took too long to answer.",
  }),
  http_status: (e) => ({
    status: 502,
    code: 'upstream_status',
    message: `The URL's server answered HTTP ${e.details.status ?? 'error'}.`,
  }),
  too_many_redirects: (e) => ({
    status: 502,
    code: 'too_many_redirects',
    message: `The URL redirects more than ${e.details.limit ?? 3} times.`,
  }),
  too_many_bytes: (e) => ({
    status: 422,
    code: 'image_too_large',
    message: `The file behind the URL is over the limit of ${mib(e.details.limit ?? 0)}.`,
  }),
  not_an_image: () => ({
    status: 422,
    code: 'not_an_image',
    message: `The URL did not lead to an image (${ACCEPTED_FORMATS} are accepted).`,
  }),
};

/** Fastify's own failures (reading and parsing the body, validating it). */
function frameworkError(
  error: { code?: unknown; statusCode?: unknown; validation?: unknown },
  bodyLimit: number,
) {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        code: 'body_too_large',
        message: `The body is over the limit of ${bodyLimit} bytes.`,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'bad_json', message: 'The body is not valid JSON.' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'bad_content_length', message: 'Content-Length does not match the body.' };
  }
  if (error.validation)
    return {
      status: 400,
      code: 'bad_request',
      message: `The JSON body must be {"url": "<http or https URL>"} (at most ${MAX_URL_LENGTH} characters).`,
    };
  // Anything else fastify refuses as the client's fault (a malformed path, a body cut off mid-way).
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500)
    return { status: error.statusCode, code: 'bad_request', message: 'The request could not be read.' };
  return null;
}

/** The API's answer to anything a route threw; null for a failure nobody foresaw (a 500, logged by the caller). */
export function apiErrorOf(error: unknown, bodyLimit: number): ApiError | null {
  const cause = error instanceof UserFacingError ? error.cause : error;
  if (cause instanceof ImageRejectedError) return imageErrors[cause.code](cause);
  if (cause instanceof UrlRefusedError) {
    const inner = cause.cause;
    // A fetched file the decoder refused: say what was wrong with it.
    if (cause.code === 'not_an_image' && inner instanceof ImageRejectedError && inner.code !== 'not_an_image')
      return imageErrors[inner.code](inner);
    return urlErrors[cause.code](cause);
  }
  if (error instanceof RateLimitedError)
    return {
      status: 429,
      code: 'rate_limited',
      message: 'Too many classifications for this API key; retry after the Retry-After seconds.',
      retryAfterS: Math.max(1, Math.ceil(error.retryAfterMs / 1000)),
    };
  if (error instanceof UserFacingError) {
    switch (error.code) {
      case 'not-available':
        return shuttingDown;
      case 'busy':
        return {
          status: 503,
          code: 'busy',
          message: 'Too many images are queued; retry shortly.',
          retryAfterS: 5,
        };
      case 'argument-too-long':
        return { status: 400, code: 'url_too_long', message: `"url" is over ${MAX_URL_LENGTH} characters.` };
    }
  }
  if (error !== null && typeof error === 'object') return frameworkError(error, bodyLimit);
  return null;
}

export const internalError: ApiError = {
  status: 500,
  code: 'internal_error',
  message: 'Something went wrong on the server; it has been logged.',
};

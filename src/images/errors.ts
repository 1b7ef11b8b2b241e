/**
 * Refusals of the image intake. `userMessage` is safe to show in Discord as it is: it never repeats more than
 * a short, cleaned excerpt of what the person sent. `code` lets callers and tests tell the cases apart.
 */

export type ImageRejectionCode =
  | 'not_an_image'
  | 'unsupported_format'
  | 'svg_refused'
  | 'too_many_bytes'
  | 'too_many_pixels'
  | 'corrupt'
  | 'too_slow'
  | 'empty';

export type UrlRefusalCode =
  | 'bad_url'
  | 'bad_scheme'
  | 'private_address'
  | 'dns_failed'
  | 'too_many_redirects'
  | 'timeout'
  | 'too_many_bytes'
  | 'http_status'
  | 'unreachable'
  | 'not_an_image';

const MAX_ECHO = 80;

/** A short, single-line, mention-free excerpt of user input for use inside a message. */
export function excerpt(input: string, max = MAX_ECHO): string {
  const oneLine = input.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
  const cut = oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
  // A zero-width space after "@" keeps "@everyone" and user mentions from pinging; backticks would break code spans.
  return cut.replace(/@/g, '@\u200b').replace(/`/g, "'");
}

const megabytes = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
const megapixels = (pixels: number) => `${Math.round(pixels / 100_000) / 10} MP`;

const imageMessages: Record<ImageRejectionCode, (d: ImageRejectionDetails) => string> = {
  not_an_image: () => "That file isn't an image I can read (I accept JPEG, PNG, WebP, GIF, AVIF and TIFF).",
  unsupported_format: (d) =>
    `That image format${d.format ? ` (${d.format})` : ''} isn't supported. Please send a JPEG, PNG, WebP, GIF, AVIF or TIFF.`,
  svg_refused: () =>
    "SVG and other vector/markup files aren't accepted. Please send a photo (JPEG, PNG, WebP…).",
  too_many_bytes: (d) =>
    `That image is too large${d.bytes !== undefined ? ` (${megabytes(d.bytes)})` : ''}; the limit is ${megabytes(d.limit ?? 0)}.`,
  too_many_pixels: (d) =>
    `That image has too many pixels${d.pixels !== undefined ? ` (${megapixels(d.pixels)})` : ''}; the limit is ${megapixels(d.limit ?? 0)}.`,
  corrupt: () => 'That image looks damaged or truncated, so I could not decode it. Please try another copy.',
  too_slow: () => 'That image took too long to decode, so I gave up on it. Please try a smaller copy.',
  empty: () => 'That file is empty.',
};

export interface ImageRejectionDetails {
  format?: string;
  bytes?: number;
  pixels?: number;
  limit?: number;
}

export class ImageRejectedError extends Error {
  readonly userMessage: string;
  constructor(
    readonly code: ImageRejectionCode,
    readonly details: ImageRejectionDetails = {},
    options?: { cause?: unknown },
  ) {
    const userMessage = imageMessages[code](details);
    super(userMessage, options);
    this.name = 'ImageRejectedError';
    this.userMessage = userMessage;
  }
}

export interface UrlRefusalDetails {
  url?: string;
  status?: number;
  limit?: number;
  reason?: string;
  /** The bytes were a file someone uploaded (fetched from Discord's CDN), not a link they gave. */
  upload?: boolean;
}

const UPLOAD_DOWNLOAD_FAILED = "I couldn't download that file from Discord. Please try sending it again.";

/** Transport failures while fetching an upload, worded for a person who sent a file (no "link" in sight). */
const uploadMessages: Partial<Record<UrlRefusalCode, (d: UrlRefusalDetails) => string>> = {
  timeout: () => UPLOAD_DOWNLOAD_FAILED,
  dns_failed: () => UPLOAD_DOWNLOAD_FAILED,
  unreachable: () => UPLOAD_DOWNLOAD_FAILED,
  too_many_redirects: () => UPLOAD_DOWNLOAD_FAILED,
  http_status: (d) =>
    `I couldn't download that file from Discord${d.status ? ` (HTTP ${d.status})` : ''}. Please try sending it again.`,
};

const urlMessages: Record<UrlRefusalCode, (d: UrlRefusalDetails) => string> = {
  bad_url: (d) => `That doesn't look like a valid link${d.url ? `: \`${excerpt(d.url)}\`` : ''}.`,
  bad_scheme: () => 'Only http:// and https:// links are accepted.',
  private_address: () => "That link points to a private or local network address, which I won't fetch.",
  dns_failed: () => "I couldn't find the server for that link (DNS lookup failed).",
  too_many_redirects: (d) => `That link redirects too many times (more than ${d.limit ?? 3}).`,
  timeout: (d) =>
    `The server took too long to send the image${d.limit ? ` (limit ${Math.round(d.limit / 100) / 10} s)` : ''}.`,
  too_many_bytes: (d) => `The file behind that link is too large; the limit is ${megabytes(d.limit ?? 0)}.`,
  http_status: (d) => `The server answered with an error${d.status ? ` (HTTP ${d.status})` : ''}.`,
  unreachable: () => "I couldn't connect to the server behind that link.",
  not_an_image: () => "The link didn't lead to an image I can read.",
};

export class UrlRefusedError extends Error {
  readonly userMessage: string;
  constructor(
    readonly code: UrlRefusalCode,
    readonly details: UrlRefusalDetails = {},
    options?: { cause?: unknown },
  ) {
    const userMessage = ((details.upload && uploadMessages[code]) || urlMessages[code])(details);
    super(details.reason ? `${userMessage} (${details.reason})` : userMessage, options);
    this.name = 'UrlRefusedError';
    this.userMessage = userMessage;
  }
}

/**
 * A refusal from fetching an uploaded file, as the person who uploaded it should read it: what is wrong with
 * the file itself says "file" (the wording the CLI gives for a local file), a download failure says so.
 */
export function asUploadRefusal(error: UrlRefusedError): ImageRejectedError | UrlRefusedError {
  if (error.code === 'not_an_image' && error.cause instanceof ImageRejectedError) return error.cause;
  if (error.code === 'too_many_bytes')
    return new ImageRejectedError('too_many_bytes', { limit: error.details.limit ?? 0 }, { cause: error });
  if (error.code in uploadMessages)
    return new UrlRefusedError(error.code, { ...error.details, upload: true }, { cause: error });
  return error;
}

export const isImageIntakeError = (e: unknown): e is ImageRejectedError | UrlRefusedError =>
  e instanceof ImageRejectedError || e instanceof UrlRefusedError;

/**
 * Bytes → model input, with sharp (libvips decodes on its own thread pool, so the event loop stays free).
 * Every failure leaves as an ImageRejectedError with a code; nothing else escapes for bad input.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Metadata, OutputInfo, SharpOptions } from 'sharp';
import type { Config } from '../config.ts';
import { log } from '../log.ts';
import type { ModelInput } from '../model/types.ts';
import { ImageRejectedError } from './errors.ts';
import { requireImageFormat, type ImageFormat } from './sniff.ts';

export interface ImageLimits {
  /** Largest accepted file, in bytes (default 20 MB, config IMAGE_MAX_BYTES). */
  maxBytes?: number;
  /** Largest accepted width × height of the (first) frame (default 40 MP, config IMAGE_MAX_PIXELS). */
  maxPixels?: number;
  /** libvips gives up on one image after this long (default 10 s). */
  timeoutSeconds?: number;
}

/** How a model wants its input: a size × size RGB square, each channel value mapped to x * scale + offset. */
export interface InputSpec {
  size: number;
  scale: number;
  offset: number;
}

export interface ImageInfo {
  format: ImageFormat;
  /** Width and height as people see the image (after EXIF orientation), of the first frame. */
  width: number;
  height: number;
  /** Hex SHA-256 of the original bytes: the image's identity for de-duplication. */
  sha256: string;
  bytes: number;
}

export interface PreparedImage extends ImageInfo {
  input: ModelInput;
}

export const DEFAULT_IMAGE_LIMITS = {
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 40_000_000,
  timeoutSeconds: 10,
} as const satisfies Required<ImageLimits>;

/** The default MobileNet convention: x / 127.5 - 1, giving values in [-1, 1]. */
export const DEFAULT_INPUT_SPEC: InputSpec = { size: 224, scale: 1 / 127.5, offset: -1 };

/**
 * 'error' stops on truncated or seriously broken data; 'warning' (sharp's default) would also refuse real
 * phone photos that only carry harmless oddities such as extraneous bytes before a JPEG marker.
 */
const FAIL_ON = 'error' as const;

function resolveLimits(limits: ImageLimits = {}): Required<ImageLimits> {
  return {
    maxBytes: limits.maxBytes ?? DEFAULT_IMAGE_LIMITS.maxBytes,
    maxPixels: limits.maxPixels ?? DEFAULT_IMAGE_LIMITS.maxPixels,
    timeoutSeconds: limits.timeoutSeconds ?? DEFAULT_IMAGE_LIMITS.timeoutSeconds,
  };
}

const sharpOptions = (limits: Required<ImageLimits>): SharpOptions => ({
  failOn: FAIL_ON,
  limitInputPixels: limits.maxPixels,
  // Only the first frame of animated GIF/WebP or multi-page TIFF is ever decoded.
  pages: 1,
  page: 0,
  sequentialRead: true,
});

/** Turns libvips/sharp errors into clear refusals. */
export function rejectionFromSharpError(error: unknown, limits: Required<ImageLimits>): ImageRejectedError {
  if (error instanceof ImageRejectedError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit|maximum supported image dimension/i.test(message)) {
    return new ImageRejectedError('too_many_pixels', { limit: limits.maxPixels }, { cause: error });
  }
  if (/timeout/i.test(message)) return new ImageRejectedError('too_slow', {}, { cause: error });
  if (/unsupported image format/i.test(message)) {
    return new ImageRejectedError('not_an_image', {}, { cause: error });
  }
  log.debug({ err: message }, 'image refused as corrupt');
  return new ImageRejectedError('corrupt', {}, { cause: error });
}

function checkBytes(bytes: Uint8Array, limits: Required<ImageLimits>): ImageFormat {
  if (bytes.length === 0) throw new ImageRejectedError('empty');
  if (bytes.length > limits.maxBytes) {
    throw new ImageRejectedError('too_many_bytes', { bytes: bytes.length, limit: limits.maxBytes });
  }
  return requireImageFormat(bytes);
}

/** Reads only the header: format, oriented size and the limits. Throws ImageRejectedError. */
async function readHeader(bytes: Uint8Array, limits: Required<ImageLimits>): Promise<ImageInfo> {
  const format = checkBytes(bytes, limits);
  let meta: Metadata;
  try {
    // The header alone is safe to read whatever it declares; the limit is enforced just below, with the size.
    meta = await sharp(bytes, { ...sharpOptions(limits), limitInputPixels: false }).metadata();
  } catch (error) {
    throw rejectionFromSharpError(error, limits);
  }
  // libvips chooses its loader by sniffing too; a disagreement means a crafted or broken file.
  const decodedAs: string = meta.format === 'heif' ? 'avif' : meta.format;
  if (decodedAs !== format) throw new ImageRejectedError('corrupt');
  const width = meta.width;
  const height = meta.pageHeight ?? meta.height;
  if (!(width > 0) || !(height > 0)) throw new ImageRejectedError('corrupt');
  if (width * height > limits.maxPixels) {
    throw new ImageRejectedError('too_many_pixels', { pixels: width * height, limit: limits.maxPixels });
  }
  const swapped = (meta.orientation ?? 1) >= 5;
  return {
    format,
    width: swapped ? height : width,
    height: swapped ? width : height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
  };
}

/**
 * Validates an image for storage without decoding its pixels: byte limit, magic bytes, a readable header,
 * the pixel limit. Fast (well under a millisecond); prepareModelInput still catches damaged pixel data.
 */
export async function inspectImage(bytes: Uint8Array, limits?: ImageLimits): Promise<ImageInfo> {
  return readHeader(bytes, resolveLimits(limits));
}

function normalise(rgb: Buffer, spec: InputSpec): Float32Array {
  const out = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = rgb[i]! * spec.scale + spec.offset;
  return out;
}

/**
 * Decodes, EXIF-rotates, flattens transparency onto white, centre-crops to a square of spec.size and
 * normalises to Float32 HWC RGB. Throws ImageRejectedError for every bad input.
 */
export async function prepareModelInput(
  bytes: Uint8Array,
  spec: InputSpec = DEFAULT_INPUT_SPEC,
  limits?: ImageLimits,
): Promise<PreparedImage> {
  if (!Number.isInteger(spec.size) || spec.size <= 0)
    throw new RangeError(`Bad model input size ${spec.size}`);
  const resolved = resolveLimits(limits);
  const info = await readHeader(bytes, resolved);
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes, sharpOptions(resolved))
      .timeout({ seconds: resolved.timeoutSeconds })
      .rotate()
      .resize(spec.size, spec.size, { fit: 'cover', position: 'centre' })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw rejectionFromSharpError(error, resolved);
  }
  const { width, height, channels } = decoded.info;
  if (width !== spec.size || height !== spec.size || channels !== 3) {
    throw new ImageRejectedError('corrupt');
  }
  return { ...info, input: { data: normalise(decoded.data, spec), size: spec.size } };
}

export const imageLimitsFromConfig = (
  config: Pick<Config, 'IMAGE_MAX_BYTES' | 'IMAGE_MAX_PIXELS'>,
): ImageLimits => ({
  maxBytes: config.IMAGE_MAX_BYTES,
  maxPixels: config.IMAGE_MAX_PIXELS,
});

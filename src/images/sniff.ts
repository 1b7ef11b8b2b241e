/**
 * Tells what a file is from its first bytes (magic numbers), never from its name or Content-Type.
 * Only formats that the installed sharp decodes are accepted; markup (SVG, HTML, XML) is refused outright
 * because SVG rendering can reach external resources and is a large attack surface for a photo bot.
 */
import { ImageRejectedError } from './errors.ts';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff';

export const ACCEPTED_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'];

export type SniffResult =
  | { kind: 'image'; format: ImageFormat }
  | { kind: 'unsupported'; format: string }
  | { kind: 'markup'; format: 'svg' | 'html' | 'xml' }
  | { kind: 'unknown' };

const ascii = (bytes: Uint8Array, start: number, length: number) =>
  String.fromCharCode(...bytes.subarray(start, start + length));

const startsWith = (bytes: Uint8Array, signature: readonly number[], at = 0) =>
  bytes.length >= at + signature.length && signature.every((b, i) => bytes[at + i] === b);

/** ISO base media files (AVIF, HEIC) name their brands in an `ftyp` box at offset 4. */
function sniffIsoBmff(bytes: Uint8Array): SniffResult | null {
  if (bytes.length < 16 || ascii(bytes, 4, 4) !== 'ftyp') return null;
  const boxSize = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const end = Math.min(bytes.length, Math.max(16, Math.min(boxSize, 256)));
  const brands = [ascii(bytes, 8, 4)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(bytes, at, 4));
  if (brands.some((b) => b === 'avif' || b === 'avis')) return { kind: 'image', format: 'avif' };
  if (brands.some((b) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(b))) {
    // The prebuilt libvips in sharp decodes AVIF but not HEVC-coded HEIC.
    return { kind: 'unsupported', format: 'HEIC' };
  }
  return { kind: 'unsupported', format: 'ISO media (video?)' };
}

/** Text that starts (after a BOM and whitespace) with "<" is markup of some sort. */
function sniffMarkup(bytes: Uint8Array): SniffResult | null {
  let text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 4096));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    text = new TextDecoder('utf-16le').decode(bytes.subarray(0, 4096));
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    text = new TextDecoder('utf-16be').decode(bytes.subarray(0, 4096));
  }
  const head = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (!head.startsWith('<')) return null;
  if (head.includes('<svg')) return { kind: 'markup', format: 'svg' };
  if (/^<(!doctype html|html|head|body|script|meta|!--)/.test(head))
    return { kind: 'markup', format: 'html' };
  return { kind: 'markup', format: 'xml' };
}

export function sniffImage(bytes: Uint8Array): SniffResult {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: 'image', format: 'jpeg' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { kind: 'image', format: 'png' };
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return { kind: 'image', format: 'gif' };
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') {
    return { kind: 'image', format: 'webp' };
  }
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return { kind: 'image', format: 'tiff' };
  }
  const iso = sniffIsoBmff(bytes);
  if (iso) return iso;

  if (startsWith(bytes, [0x42, 0x4d])) return { kind: 'unsupported', format: 'BMP' };
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46])) return { kind: 'unsupported', format: 'PDF' };
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return { kind: 'unsupported', format: 'ICO' };
  if (startsWith(bytes, [0x38, 0x42, 0x50, 0x53])) return { kind: 'unsupported', format: 'PSD' };
  if (
    startsWith(bytes, [0xff, 0x0a]) ||
    startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])
  ) {
    return { kind: 'unsupported', format: 'JPEG XL' };
  }
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20])) {
    return { kind: 'unsupported', format: 'JPEG 2000' };
  }
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) {
    return { kind: 'unsupported', format: 'BigTIFF' };
  }
  return sniffMarkup(bytes) ?? { kind: 'unknown' };
}

/** Sniffs and returns the format, or throws the matching ImageRejectedError. */
export function requireImageFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length === 0) throw new ImageRejectedError('empty');
  const sniffed = sniffImage(bytes);
  switch (sniffed.kind) {
    case 'image':
      return sniffed.format;
    case 'unsupported':
      throw new ImageRejectedError('unsupported_format', { format: sniffed.format });
    case 'markup':
      throw new ImageRejectedError(sniffed.format === 'svg' ? 'svg_refused' : 'not_an_image');
    case 'unknown':
      throw new ImageRejectedError('not_an_image');
  }
}

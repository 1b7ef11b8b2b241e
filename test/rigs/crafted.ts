/**
 * Byte-level surgery on real image files, to build hostile inputs (pixel bombs, lying headers) for the
 * tests and the fuzz suite. Pure functions over copies; nothing here decodes.
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 that PNG chunks carry. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const PNG_SIGNATURE_LENGTH = 8;

/**
 * A copy of a PNG whose IHDR declares width × height, with a valid CRC so decoders believe it: a pixel bomb
 * that is only a few kilobytes. The real image data no longer matches, which is the point.
 */
export function withPngDimensions(png: Uint8Array, width: number, height: number): Uint8Array {
  const out = Uint8Array.from(png);
  const view = new DataView(out.buffer);
  const ihdr = PNG_SIGNATURE_LENGTH;
  if (String.fromCharCode(...out.subarray(ihdr + 4, ihdr + 8)) !== 'IHDR')
    throw new Error('not a PNG with IHDR');
  view.setUint32(ihdr + 8, width);
  view.setUint32(ihdr + 12, height);
  view.setUint32(ihdr + 8 + 13, crc32(out.subarray(ihdr + 4, ihdr + 8 + 13)));
  return out;
}

/** Offset of the first JPEG start-of-frame segment (SOF0..SOF15 less DHT/JPG/DAC), or -1. */
export function findJpegFrameHeader(jpeg: Uint8Array): number {
  let at = 2;
  while (at + 4 < jpeg.length) {
    if (jpeg[at] !== 0xff) return -1;
    const marker = jpeg[at + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return at;
    if (marker === 0xda) return -1;
    at += 2 + ((jpeg[at + 2]! << 8) | jpeg[at + 3]!);
  }
  return -1;
}

/** A copy of a JPEG whose frame header declares width × height (each at most 65535). */
export function withJpegDimensions(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const out = Uint8Array.from(jpeg);
  const sof = findJpegFrameHeader(out);
  if (sof < 0) throw new Error('no JPEG frame header found');
  const view = new DataView(out.buffer);
  view.setUint16(sof + 5, height);
  view.setUint16(sof + 7, width);
  return out;
}

/** Offset of the first GIF image descriptor (0x2C), or -1. */
export function findGifImageDescriptor(gif: Uint8Array): number {
  const flags = gif[10] ?? 0;
  let at = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  while (at < gif.length) {
    if (gif[at] === 0x2c) return at;
    if (gif[at] !== 0x21) return -1;
    at += 2; // extension introducer and label, then data sub-blocks until a zero length
    while (at < gif.length && gif[at] !== 0) at += 1 + gif[at]!;
    at += 1;
  }
  return -1;
}

/** A copy of a GIF whose logical screen and first frame declare width × height (each at most 65535). */
export function withGifDimensions(gif: Uint8Array, width: number, height: number): Uint8Array {
  const out = Uint8Array.from(gif);
  const view = new DataView(out.buffer);
  view.setUint16(6, width, true);
  view.setUint16(8, height, true);
  const frame = findGifImageDescriptor(out);
  if (frame >= 0) {
    view.setUint16(frame + 5, width, true);
    view.setUint16(frame + 7, height, true);
  }
  return out;
}

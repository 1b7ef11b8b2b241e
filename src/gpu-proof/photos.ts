/**
 * The proof's photos: JPEGs already resized to the backbone's input size (by scripts/gpu-pack.ts), listed in
 * photos.tsv as `file<TAB>label`. Decoded once to RGB bytes; model inputs are normalised from those.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { ModelInput } from '../model/types.ts';

export const PHOTO_LIST = 'photos.tsv';

export interface ProofPhoto {
  file: string;
  label: string;
  /** size x size x 3 RGB bytes, HWC. */
  pixels: Uint8Array;
}

export async function readPhotos(dir: string, size: number, limit = Infinity): Promise<ProofPhoto[]> {
  const rows = readFileSync(path.join(dir, PHOTO_LIST), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .slice(0, limit)
    .map((line) => line.split('\t') as [string, string]);
  const photos: ProofPhoto[] = [];
  for (const [file, label] of rows) {
    const { data, info } = await sharp(path.join(dir, file))
      .resize(size, size, { fit: 'cover' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width !== size || info.height !== size || info.channels !== 3) {
      throw new Error(
        `${file}: decoded to ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x3`,
      );
    }
    photos.push({ file, label, pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  }
  return photos;
}

/** The model input of a photo, with the backbone's normalisation (value * scale + offset). */
export function toModelInput(
  pixels: Uint8Array,
  size: number,
  normalisation: { scale: number; offset: number },
): ModelInput {
  const data = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) data[i] = pixels[i]! * normalisation.scale + normalisation.offset;
  return { data, size };
}

/** `count` items taken from `items` in order, starting again at the first when they run out. */
export function cycle<T>(items: readonly T[], count: number): T[] {
  if (items.length === 0) throw new Error('nothing to cycle through');
  return Array.from({ length: count }, (_, i) => items[i % items.length]!);
}

/** Real photos from ../shared and small images made with sharp, for the image-intake tests. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { projectRoot } from '../../src/config.ts';

export const datasetsDir = path.resolve(projectRoot, '../shared/datasets');
export const imagewoofVal = path.join(datasetsDir, 'imagewoof/val');
export const notDogs = path.join(datasetsDir, 'notdogs');

/** `skip` value for tests that need the real photos. */
export const needsPhotos =
  existsSync(imagewoofVal) && existsSync(notDogs)
    ? false
    : 'needs ../shared/datasets (imagewoof, notdogs) (absent)';

/** Up to `count` real photo paths, spread over the breed folders, then the non-dogs. */
export function realPhotoPaths(count: number): string[] {
  const breeds = readdirSync(imagewoofVal).sort();
  const perBreed = breeds.map((b) =>
    readdirSync(path.join(imagewoofVal, b))
      .sort()
      .map((f) => path.join(imagewoofVal, b, f)),
  );
  const dogs: string[] = [];
  for (let i = 0; dogs.length < count && perBreed.some((list) => i < list.length); i++) {
    for (const list of perBreed) if (list[i]) dogs.push(list[i]!);
  }
  const others = readdirSync(notDogs)
    .sort()
    .map((f) => path.join(notDogs, f));
  return [...dogs.slice(0, Math.max(0, count - others.length)), ...others].slice(0, count);
}

export const readPhoto = (file: string): Uint8Array => new Uint8Array(readFileSync(file));

export type Rgb = { r: number; g: number; b: number };
export const RED: Rgb = { r: 255, g: 0, b: 0 };
export const GREEN: Rgb = { r: 0, g: 255, b: 0 };
export const BLUE: Rgb = { r: 0, g: 0, b: 255 };

export async function solidPng(width: number, height: number, colour: Rgb): Promise<Uint8Array> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();
}

/** Left half `left`, right half `right`: shows whether and which way an image was turned. */
export async function twoHalves(width: number, height: number, left: Rgb, right: Rgb): Promise<Sharp> {
  const half = await sharp({ create: { width: width / 2, height, channels: 3, background: right } })
    .png()
    .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: left } }).composite([
    { input: half, left: width / 2, top: 0 },
  ]);
}

/** An animated GIF or WebP whose frames are solid `colours`, in order. */
export async function animated(format: 'gif' | 'webp', colours: Rgb[], size = 64): Promise<Uint8Array> {
  const frames = await Promise.all(colours.map((c) => solidPng(size, size, c)));
  const joined = sharp(frames, { join: { animated: true } });
  return format === 'gif'
    ? joined.gif({ delay: 100 }).toBuffer()
    : joined.webp({ lossless: true }).toBuffer();
}

/** The normalised RGB triple at (x, y) of a model input. */
export function pixelAt(data: Float32Array, size: number, x: number, y: number): [number, number, number] {
  const i = (y * size + x) * 3;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

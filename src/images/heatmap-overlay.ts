/**
 * Draws an occlusion map on its photo: the coarse grid is upsampled by sharp, coloured with the jet map
 * (blue = no effect, red = the top breed's probability fell most), and alpha-composited over the square the
 * model saw. libvips does the resizing and compositing on its own threads; JavaScript only colours a small
 * fixed-size tile, so the event loop stays free whatever the photo's size.
 */
import sharp, { type OverlayOptions } from 'sharp';
import type { SeenSquare } from '../model/explain/heat-zone.ts';

/** The coloured tile's side before sharp scales it to the photo (smooth at any photo size). */
const TILE = 64;
/** Opacity of the colour at no heat and at full heat: the photo stays visible under the coldest areas. */
const ALPHA_COLD = 0.2;
const ALPHA_HOT = 0.7;

export interface HeatmapOverlayOptions {
  /** Longest side of the picture out; the photo's own size when absent (never enlarged). */
  maxSide?: number;
}

export interface HeatmapPicture {
  png: Buffer;
  width: number;
  height: number;
}

const clamp01 = (v: number) => Math.max(0, Math.min(1, v));

/** The jet colour map at t in 0..1, as 0..255 RGB. */
export function jet(t: number): [number, number, number] {
  const x = clamp01(t) * 4;
  const channel = (centre: number) => Math.round(255 * clamp01(1.5 - Math.abs(x - centre)));
  return [channel(3), channel(2), channel(1)];
}

/** The heat grid scaled to 0..255 of its largest cell: the pixels of a grid × grid one-channel image. */
function heatImage(heat: Float64Array): Buffer {
  const max = Math.max(...heat);
  return Buffer.from(Array.from(heat, (h) => (max > 0 ? Math.round((255 * h) / max) : 0)));
}

async function colouredTile(heat: Float64Array, grid: number): Promise<Buffer> {
  const grey = await sharp(heatImage(heat), { raw: { width: grid, height: grid, channels: 1 } })
    .resize(TILE, TILE, { kernel: 'linear', fit: 'fill' })
    .extractChannel(0) // sharp would hand back three channels otherwise
    .raw()
    .toBuffer();
  const rgba = Buffer.alloc(TILE * TILE * 4);
  for (let i = 0; i < TILE * TILE; i++) {
    const t = grey[i]! / 255;
    const [r, g, b] = jet(t);
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = b;
    rgba[i * 4 + 3] = Math.round(255 * (ALPHA_COLD + (ALPHA_HOT - ALPHA_COLD) * t));
  }
  return rgba;
}

/**
 * The photo (EXIF-rotated, transparency on white, scaled down to `maxSide`) with the map over the square the
 * model saw; a map with no heat at all leaves the photo uncoloured. PNG.
 */
export async function heatmapOverlay(
  photo: Uint8Array,
  map: { heat: Float64Array; grid: number },
  seen: SeenSquare,
  options: HeatmapOverlayOptions = {},
): Promise<HeatmapPicture> {
  const longest = Math.max(seen.photoWidth, seen.photoHeight);
  const scale = options.maxSide ? Math.min(1, options.maxSide / longest) : 1;
  // The photo passed the configured pixel limit when it was decoded for the model; it may not grow since.
  const base = await sharp(photo, {
    failOn: 'error',
    limitInputPixels: seen.photoWidth * seen.photoHeight,
    pages: 1,
  })
    .rotate()
    .resize({
      width: Math.max(1, Math.round(seen.photoWidth * scale)),
      fit: 'inside',
      withoutEnlargement: true,
    })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height } = base.info;
  const ratio = width / seen.photoWidth;
  const left = Math.min(width - 1, Math.round(seen.left * ratio));
  const top = Math.min(height - 1, Math.round(seen.top * ratio));
  const side = Math.max(1, Math.min(width - left, height - top, Math.round(seen.side * ratio)));
  const layers: OverlayOptions[] = [];
  if (Math.max(...map.heat) > 0) {
    const tile = await sharp(await colouredTile(map.heat, map.grid), {
      raw: { width: TILE, height: TILE, channels: 4 },
    })
      .resize(side, side, { kernel: 'linear', fit: 'fill' })
      .png()
      .toBuffer();
    layers.push({ input: tile, left, top });
  }
  const png = await sharp(base.data, { raw: { width, height, channels: 3 } })
    .composite(layers)
    .png()
    .toBuffer();
  return { png, width, height };
}

/**
 * The photo with each dog's box drawn on it and numbered (1 = leftmost), for a reply that names several dogs:
 * an SVG overlay of the boxes and their numbers, composited over the photo by sharp. Numbers are glyph paths
 * (src/charts/text.ts), since librsvg's own text needs installed fonts.
 */
import sharp from 'sharp';
import { textPath } from '../charts/text.ts';

export interface NumberedBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface BoxesPicture {
  png: Buffer;
  width: number;
  height: number;
}

/** Longest side of the picture out: plenty for a chat preview, and a small attachment. */
export const BOXES_MAX_SIDE = 1024;

const COLOURS = ['#ff3b30', '#34c759', '#0a84ff', '#ffcc00', '#af52de', '#ff9500', '#5ac8fa', '#ff2d55'];

function overlay(boxes: readonly NumberedBox[], scale: number, width: number, height: number): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 150));
  const size = Math.max(14, Math.round(Math.min(width, height) / 14));
  const parts = boxes.map((box, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const x = box.x * scale;
    const y = box.y * scale;
    const w = Math.max(1, box.width * scale);
    const h = Math.max(1, box.height * scale);
    const label = String(i + 1);
    const tagWidth = size * (0.35 + 0.62 * label.length);
    const tagX = Math.min(Math.max(0, x), width - tagWidth);
    const tagY = Math.min(Math.max(0, y), height - size * 1.2);
    return (
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>` +
      `<rect x="${tagX}" y="${tagY}" width="${tagWidth}" height="${size * 1.2}" fill="${colour}"/>` +
      textPath(label, tagX + tagWidth / 2, tagY + size, { size, anchor: 'middle', fill: '#fff' })
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** `boxes` are in pixels of the photo as people see it (after EXIF orientation), numbered in the order given. */
export async function drawDogBoxes(
  bytes: Uint8Array,
  boxes: readonly NumberedBox[],
  maxSide = BOXES_MAX_SIDE,
): Promise<BoxesPicture> {
  const meta = await sharp(bytes).metadata();
  // EXIF orientations 5 to 8 turn the photo a quarter: its upright width is the stored height.
  const turned = (meta.orientation ?? 1) >= 5;
  const photoWidth = (turned ? meta.height : meta.width) ?? 1;
  const photoHeight = (turned ? meta.width : meta.height) ?? 1;
  const upright = sharp(bytes).rotate();
  const scale = Math.min(1, maxSide / Math.max(photoWidth, photoHeight));
  const width = Math.max(1, Math.round(photoWidth * scale));
  const height = Math.max(1, Math.round(photoHeight * scale));
  const png = await upright
    .resize(width, height, { fit: 'fill' })
    .composite([{ input: Buffer.from(overlay(boxes, scale, width, height)), top: 0, left: 0 }])
    .png()
    .toBuffer();
  return { png, width, height };
}

/**
 * Where the heat of an occlusion map lies on the photo. The map covers the square the model saw (the centre
 * crop of the photo); positions here are fractions of the whole photo, so "left" means the photo's left.
 */
import type { OcclusionMap } from './occlusion.ts';

/** The square of the photo the model saw, in the photo's (EXIF-rotated) pixels. */
export interface SeenSquare {
  photoWidth: number;
  photoHeight: number;
  left: number;
  top: number;
  side: number;
}

export type Vertical = 'top' | 'middle' | 'bottom';
export type Horizontal = 'left' | 'centre' | 'right';

/** The ninth of the photo holding the most heat, and its share of all heat (0..1). */
export interface HeatZone {
  vertical: Vertical;
  horizontal: Horizontal;
  share: number;
}

/** What sharp's resize with fit 'cover', position 'centre' keeps of a photo: its centred largest square. */
export function centreSquare(photoWidth: number, photoHeight: number): SeenSquare {
  const side = Math.min(photoWidth, photoHeight);
  return {
    photoWidth,
    photoHeight,
    side,
    left: Math.floor((photoWidth - side) / 2),
    top: Math.floor((photoHeight - side) / 2),
  };
}

/** Each cell's centre as fractions (0..1) of the photo's width and height, with its heat. */
function cellsOnPhoto(map: OcclusionMap, seen: SeenSquare): { x: number; y: number; heat: number }[] {
  return Array.from(map.heat, (heat, cell) => {
    const col = cell % map.grid;
    const row = Math.floor(cell / map.grid);
    return {
      x: (seen.left + ((col + 0.5) / map.grid) * seen.side) / seen.photoWidth,
      y: (seen.top + ((row + 0.5) / map.grid) * seen.side) / seen.photoHeight,
      heat,
    };
  });
}

const totalHeat = (map: OcclusionMap) => map.heat.reduce((sum, h) => sum + h, 0);

/** True when greying no patch lowered the top breed noticeably: there is no region to point at. */
export const isFlat = (map: OcclusionMap, below = 1e-3): boolean => Math.max(...map.heat) < below;

/** Share (0..1) of the map's heat whose cell centre satisfies `where` (x, y as fractions of the photo). */
export function heatShare(
  map: OcclusionMap,
  seen: SeenSquare,
  where: (x: number, y: number) => boolean,
): number {
  const total = totalHeat(map);
  if (total <= 0) return 0;
  const inside = cellsOnPhoto(map, seen)
    .filter((c) => where(c.x, c.y))
    .reduce((sum, c) => sum + c.heat, 0);
  return inside / total;
}

const third = <T>(v: number, names: readonly [T, T, T]): T => names[Math.min(2, Math.floor(v * 3))]!;

/** The ninth of the photo (top-left … bottom-right) that holds the most heat; null for a flat map. */
export function hottestZone(map: OcclusionMap, seen: SeenSquare): HeatZone | null {
  if (isFlat(map)) return null;
  const sums = new Map<string, HeatZone>();
  for (const c of cellsOnPhoto(map, seen)) {
    const vertical = third(c.y, ['top', 'middle', 'bottom'] as const);
    const horizontal = third(c.x, ['left', 'centre', 'right'] as const);
    const key = `${vertical}-${horizontal}`;
    const zone = sums.get(key) ?? { vertical, horizontal, share: 0 };
    zone.share += c.heat;
    sums.set(key, zone);
  }
  const total = totalHeat(map);
  const best = [...sums.values()].reduce((a, b) => (b.share > a.share ? b : a));
  return { ...best, share: best.share / total };
}

/** The detector's output read as dogs: letterbox mapping, suppression of duplicates, crop regions. */

/** A box in pixels of the photo as people see it (after EXIF orientation); x, y is the top-left corner. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DetectedBox extends Box {
  score: number;
  classId: number;
}

/** How a photo of `width` x `height` sits inside the square model input: scaled by `scale`, then offset. */
export interface Letterbox {
  scale: number;
  padX: number;
  padY: number;
  /** The scaled photo's size inside the square. */
  innerWidth: number;
  innerHeight: number;
}

export function letterboxOf(width: number, height: number, side: number): Letterbox {
  const scale = side / Math.max(width, height);
  const innerWidth = Math.max(1, Math.min(side, Math.round(width * scale)));
  const innerHeight = Math.max(1, Math.min(side, Math.round(height * scale)));
  return {
    scale,
    innerWidth,
    innerHeight,
    padX: Math.floor((side - innerWidth) / 2),
    padY: Math.floor((side - innerHeight) / 2),
  };
}

/** One detector row (x1, y1, x2, y2 in input pixels) back in photo pixels, clamped to the photo. */
export function toPhotoBox(row: readonly number[], letterbox: Letterbox, width: number, height: number): Box {
  const clampX = (v: number) => Math.min(width, Math.max(0, (v - letterbox.padX) / letterbox.scale));
  const clampY = (v: number) => Math.min(height, Math.max(0, (v - letterbox.padY) / letterbox.scale));
  const x1 = clampX(row[0]!);
  const y1 = clampY(row[1]!);
  const x2 = clampX(row[2]!);
  const y2 = clampY(row[3]!);
  return { x: x1, y: y1, width: Math.max(0, x2 - x1), height: Math.max(0, y2 - y1) };
}

export function intersectionOverUnion(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * Greedy non-max suppression over every class given: best score first, a box overlapping a kept one by
 * `iouThreshold` or more is dropped, whatever its class. Across classes on purpose: the detector often reads
 * a cat as a cat and, a little less sure, also as a dog, in the same place.
 */
export function suppressOverlaps<T extends DetectedBox>(boxes: readonly T[], iouThreshold: number): T[] {
  const kept: T[] = [];
  for (const box of [...boxes].sort((a, b) => b.score - a.score)) {
    if (kept.every((k) => intersectionOverUnion(k, box) < iouThreshold)) kept.push(box);
  }
  return kept;
}

/**
 * The region to crop for a box: the box grown by `margin` of its size on each side, then towards a square
 * (the classifier centre-crops its input to a square, which would cut a long box's ends), within the photo.
 * Whole pixels, never empty.
 */
export function cropRegion(box: Box, margin: number, width: number, height: number): Box {
  const grow = (start: number, length: number, target: number, limit: number) => {
    const size = Math.min(limit, target);
    const from = Math.min(Math.max(0, start + length / 2 - size / 2), limit - size);
    return [from, size] as const;
  };
  const w = box.width * (1 + 2 * margin);
  const h = box.height * (1 + 2 * margin);
  const side = Math.max(w, h);
  const [x, cw] = grow(box.x, box.width, side, width);
  const [y, ch] = grow(box.y, box.height, side, height);
  const left = Math.floor(x);
  const top = Math.floor(y);
  return {
    x: left,
    y: top,
    width: Math.max(1, Math.min(width - left, Math.ceil(x + cw) - left)),
    height: Math.max(1, Math.min(height - top, Math.ceil(y + ch) - top)),
  };
}

export interface DogBox extends Box {
  /** The detector's confidence (about 0.3 to 0.5 for a clear dog with this model). */
  score: number;
}

export interface DogDetection {
  /** The photo's size as people see it (after EXIF orientation), which the boxes are in. */
  width: number;
  height: number;
  /** Dogs found, left to right. */
  dogs: DogBox[];
}

/** What the model said about one photo, with what maps its input pixels back to the photo's. */
export interface DetectorOutput {
  width: number;
  height: number;
  letterbox: Letterbox;
  /** [x1, y1, x2, y2, score, class] in input pixels, as the model gives them. */
  rows: number[][];
}

export interface DogSettings {
  dogClass: number;
  rivalClasses: readonly number[];
  scoreThreshold: number;
  iouThreshold: number;
}

/** The dogs in the model's output: confident enough, not a duplicate, not outscored in place by a rival class. */
export function dogsIn(output: DetectorOutput, settings: DogSettings): DogDetection {
  const { width, height, letterbox } = output;
  const { dogClass, rivalClasses, scoreThreshold, iouThreshold } = settings;
  const candidates: DetectedBox[] = output.rows
    .filter(
      ([, , , , score, cls]) => score! >= scoreThreshold && (cls === dogClass || rivalClasses.includes(cls!)),
    )
    .map((row) => ({ ...toPhotoBox(row, letterbox, width, height), score: row[4]!, classId: row[5]! }))
    .filter((box) => box.width >= 1 && box.height >= 1);
  const dogs = suppressOverlaps(candidates, iouThreshold)
    .filter((box) => box.classId === dogClass)
    .map(({ x, y, width: w, height: h, score }) => ({
      x: Math.round(x),
      y: Math.round(y),
      width: Math.round(w),
      height: Math.round(h),
      score: Math.round(score * 1000) / 1000,
    }))
    .sort((a, b) => a.x - b.x);
  return { width, height, dogs };
}

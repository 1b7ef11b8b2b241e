/**
 * Where each dog of a photo sits, as a word code the adapters put into words: left / centre / right across the
 * photo, or top / centre / bottom when the dogs are stacked (their centres spread further down than across,
 * relative to the photo's size). Thirds of the photo by the box's centre.
 */
export type DogPosition = 'left' | 'centre' | 'right' | 'top' | 'bottom';

export interface PlacedBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

function third(at: number, low: DogPosition, high: DogPosition): DogPosition {
  if (at < 1 / 3) return low;
  if (at > 2 / 3) return high;
  return 'centre';
}

export function dogPositions(
  boxes: readonly PlacedBox[],
  photoWidth: number,
  photoHeight: number,
): DogPosition[] {
  const across = boxes.map((b) => (b.x + b.width / 2) / Math.max(1, photoWidth));
  const down = boxes.map((b) => (b.y + b.height / 2) / Math.max(1, photoHeight));
  const spread = (values: number[]) => (values.length ? Math.max(...values) - Math.min(...values) : 0);
  const stacked = spread(down) > spread(across);
  return stacked ? down.map((d) => third(d, 'top', 'bottom')) : across.map((a) => third(a, 'left', 'right'));
}

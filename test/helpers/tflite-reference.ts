/** ../shared/models/tflite-reference: TensorFlow Lite's own outputs on fixed 224x224 RGB inputs (its README.txt). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Every reference input, by file name (the key of tflite-reference.json's `photos`), sorted. */
export function referencePhotos(referenceDir: string): { name: string; pixels: Uint8Array }[] {
  return readdirSync(referenceDir)
    .filter((f) => f.endsWith('.rgb'))
    .sort()
    .map((name) => ({ name, pixels: new Uint8Array(readFileSync(path.join(referenceDir, name))) }));
}

/** The float input a quantized model's uint8 pixels stand for: (q - zeroPoint) * scale. */
export const dequantizedInput = (pixels: Uint8Array, zeroPoint: number, scale: number) =>
  Float32Array.from(pixels, (p) => (p - zeroPoint) * scale);

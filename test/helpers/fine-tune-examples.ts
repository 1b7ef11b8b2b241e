/** Training examples of the fine-tuning tests: photos of two breeds the base head knows. */
import type { BreedHead } from '../../src/model/types.ts';
import type { PixelExample } from '../../src/training/fine-tune/backbone-fine-tuner.ts';

/** The first two photos' pixels labelled Shih-Tzu, the others Rhodesian Ridgeback (index -1 if `head` lacks one). */
export function shihTzuThenRidgeback(head: BreedHead, pixels: PixelExample['pixels'][]): PixelExample[] {
  const index = (breed: string) => head.breeds.indexOf(breed);
  return pixels.map((p, i) => ({
    pixels: p,
    breedIndex: i < 2 ? index('Shih-Tzu') : index('Rhodesian Ridgeback'),
    weight: 1,
  }));
}

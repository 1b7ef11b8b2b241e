/** Training-time image augmentation on the accelerator: a random square crop (zoomed back to size) and a mirror. */
import * as tf from '@tensorflow/tfjs';

export interface AugmentOptions {
  /** Smallest crop, as a share of the image's area (1 = no cropping). */
  minCropArea: number;
  /** Mirror half of the images left-right. */
  flip: boolean;
}

/** Random crop boxes and mirror flags, drawn in a fixed order so a seed reproduces them. */
export function drawAugmentations(
  count: number,
  rng: () => number,
  options: AugmentOptions,
): { boxes: [number, number, number, number][]; flips: boolean[] } {
  const boxes: [number, number, number, number][] = [];
  const flips: boolean[] = [];
  for (let i = 0; i < count; i++) {
    const side = Math.sqrt(options.minCropArea + rng() * (1 - options.minCropArea));
    const top = rng() * (1 - side);
    const left = rng() * (1 - side);
    boxes.push([top, left, top + side, left + side]);
    flips.push(options.flip && rng() < 0.5);
  }
  return { boxes, flips };
}

/** [N, H, W, C] -> the same shape, each image cropped, resized back and maybe mirrored. */
export function augmentImages(
  images: tf.Tensor4D,
  plan: { boxes: [number, number, number, number][]; flips: boolean[] },
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w] = images.shape;
    const indices = Array.from({ length: n }, (_, i) => i);
    const cropped = tf.image.cropAndResize(images, plan.boxes, indices, [h, w], 'bilinear');
    if (!plan.flips.some(Boolean)) return cropped;
    const mirrored = tf.image.flipLeftRight(cropped);
    const mask = tf.tensor1d(plan.flips, 'bool').reshape([n, 1, 1, 1]);
    return tf.where(tf.broadcastTo(mask, cropped.shape), mirrored, cropped);
  });
}

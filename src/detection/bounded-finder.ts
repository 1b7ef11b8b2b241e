/**
 * A bound on the photos waiting for the detector. Detection (about 180 ms a photo on wasm) runs after the photo's
 * answer is out, so a burst of photos could otherwise queue up behind it without limit: memory (each waiting
 * photo's bytes) and the delay of every later per-dog answer would grow with the burst. Beyond the bound a photo
 * is not searched for dogs; it keeps its whole-photo answer.
 */
import type { DogDetection } from './boxes.ts';
import type { DogFinder } from './worker-detector.ts';

/** Photos in the detector at once (the one it works on and those waiting): a burst beyond skips detection. */
export const DETECTOR_MAX_QUEUED = 4;

/** Thrown at once, without queueing, when the detector already holds its bound of photos. */
export class DetectorQueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`the dog detector already has ${limit} photos to look at`);
    this.name = 'DetectorQueueFullError';
  }
}

export class BoundedDogFinder implements DogFinder {
  #inside = 0;
  #skipped = 0;

  constructor(
    private readonly inner: DogFinder,
    readonly limit = DETECTOR_MAX_QUEUED,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`the detector bound must be ≥ 1 (got ${limit})`);
  }

  get engine() {
    return this.inner.engine;
  }

  /** Photos in the detector now. */
  get queued(): number {
    return this.#inside;
  }

  /** Photos refused since the start. */
  get skipped(): number {
    return this.#skipped;
  }

  async detect(bytes: Uint8Array): Promise<DogDetection> {
    if (this.#inside >= this.limit) {
      this.#skipped++;
      throw new DetectorQueueFullError(this.limit);
    }
    this.#inside++;
    try {
      return await this.inner.detect(bytes);
    } finally {
      this.#inside--;
    }
  }

  dispose(): void | Promise<void> {
    return this.inner.dispose();
  }
}

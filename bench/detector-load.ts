/**
 * Bench stage: the serving load with DETECTOR=on as the bot serves it. Each request gets its first answer
 * (decode + classify), then the bounded detector runs in its worker thread and each dog's crop is classified, in
 * the background, as the classify feature does. The caller runs its own load pattern through `serve` and compares
 * with the detector-off figures of the same run: issue 12's budget is a p50 at most 1.5x the no-detector one.
 * Also the detector's own time per photo through that worker, one photo at a time.
 */
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.ts';
import { classifyEachDog, loadConfiguredDetector, type BoundedDogFinder } from '../src/detection/index.ts';
import type { BackendName } from '../src/model/backend.ts';
import { log } from '../src/log.ts';
import type { BreedClassifier } from '../src/model/classifier.ts';
import { latency } from './load.ts';

export interface DetectorLoadResult<S> {
  /** What runs the detector (DETECTOR_ENGINE). */
  engine: string;
  /** The detector alone through its worker (letterbox, model, boxes), photos one at a time. */
  detectorMsPerPhotoP50: number;
  serving: S;
  /** Photos of the load the bounded detector searched, and those it skipped (its queue was full). */
  photosSearched: number;
  photosSkipped: number;
}

export async function measureDetectorLoad<S>(options: {
  classifier: BreedClassifier;
  backend: BackendName;
  photos: Uint8Array[];
  /** Runs the caller's load; `afterAnswer(i)` is called as request i's first answer is out. */
  serve(afterAnswer: (i: number) => void): Promise<S>;
}): Promise<DetectorLoadResult<S>> {
  const { classifier, photos } = options;
  const finder = (await loadConfiguredDetector(
    { ...loadConfig(), DETECTOR: true },
    { worker: { backend: options.backend } },
  )) as BoundedDogFinder;
  try {
    for (const bytes of photos.slice(0, 2)) await finder.detect(bytes);
    const detectMs: number[] = [];
    for (const bytes of photos.slice(0, 16)) {
      const started = performance.now();
      await finder.detect(bytes);
      detectMs.push(performance.now() - started);
    }
    const background: Promise<unknown>[] = [];
    const skippedBefore = finder.skipped;
    // Each photo the bound skips logs a warning; hundreds would bury the bench's progress, so they are counted.
    const level = log.level;
    log.level = 'error';
    let serving: S;
    try {
      serving = await options.serve((i) => {
        background.push(classifyEachDog(photos[i % photos.length]!, finder, classifier));
      });
      await Promise.all(background);
    } finally {
      log.level = level;
    }
    const photosSkipped = finder.skipped - skippedBefore;
    return {
      engine: finder.engine?.name ?? 'unknown',
      detectorMsPerPhotoP50: latency(detectMs).p50Ms,
      serving,
      photosSearched: background.length - photosSkipped,
      photosSkipped,
    };
  } finally {
    await finder.dispose();
  }
}

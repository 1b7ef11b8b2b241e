/** Batch inference throughput of a loaded backbone on the active tfjs backend. */
import type { Backbone } from '../model/backbone.ts';
import type { ModelInput } from '../model/types.ts';
import { cycle } from './photos.ts';
import { median, type StepClock } from './time-box.ts';

export interface BatchFigure {
  batch: number;
  /** Timed calls (after one untimed warm-up call). */
  runs: number;
  /** Median wall time of one backbone call on the whole batch, embeddings read back. */
  p50Ms: number;
  imagesPerSecond: number;
}

export type BatchResult = BatchFigure | { batch: number; skipped: string };

export async function benchInference(
  backbone: Backbone,
  photos: readonly ModelInput[],
  batches: readonly number[],
  maxRuns: number,
  clock: StepClock,
): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  let msPerImage = 0; // from the last batch size measured: predicts whether the next one fits
  for (const batch of batches) {
    const predictedMs = msPerImage * batch * 2; // warm-up plus one timed run
    if (clock.leftMs() < predictedMs || clock.expired()) {
      results.push({
        batch,
        skipped: `would take about ${(predictedMs / 1000).toFixed(0)} s, ${(clock.leftMs() / 1000).toFixed(0)} s left in the step`,
      });
      continue;
    }
    const inputs = cycle(photos, batch);
    await backbone.embed(inputs); // compiles shaders / warms caches for this shape
    const times: number[] = [];
    while (times.length < maxRuns && (times.length === 0 || clock.leftMs() > median(times))) {
      const start = performance.now();
      await backbone.embed(inputs);
      times.push(performance.now() - start);
    }
    const p50Ms = median(times);
    msPerImage = p50Ms / batch;
    results.push({ batch, runs: times.length, p50Ms, imagesPerSecond: (batch * 1000) / p50Ms });
  }
  return results;
}

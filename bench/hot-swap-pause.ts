/**
 * Bench stage: what a hot-swap costs requests. Concurrent classify requests run through a ModelHolder (as the
 * gateway does) while, every `swapEveryMs`, a head version is loaded (from the registry on disk, as the
 * learning loop does) and swapped in.
 *
 * A request is never made to wait by the holder itself (leases never block), so what a swap can cost a request
 * is serving-thread time: reading and building the new version and the swap call, during which no request's
 * continuation runs. A 1 ms probe timer records the event loop's gaps; a swap's pause is the longest gap that
 * overlaps the swap (from starting to load the version to the end of swap()). That bounds the extra wait of any
 * request in flight across it; background gaps (batches finishing) are included, so it is an upper bound.
 * Latencies of requests that overlapped a swap and of those that did not are reported too, but they are biased
 * (long requests are more likely to overlap a swap), so they are not the headline.
 */
import type { BreedClassifier } from '../src/model/classifier.ts';
import { ModelHolder } from '../src/model/hot-swap.ts';
import { latency, round, runLoad, type Latency } from './load.ts';

export interface HotSwapResult {
  swaps: number;
  requests: number;
  concurrency: number;
  /** Longest event-loop gap overlapping a swap (version load + swap()). */
  maxPauseMs: number;
  /** Longest event-loop gap anywhere during the run, swap or not (the background the pause compares with). */
  maxLoopGapMs: number;
  /** Longest synchronous holder.swap() call. */
  swapCallMaxMs: number;
  /** Longest time to load the next version from disk and build its classifier (async; requests keep flowing). */
  loadVersionMaxMs: number;
  overlapping: Latency;
  notOverlapping: Latency;
  /** Requests whose result carried another version than the one they leased (must be 0). */
  versionMismatches: number;
  failures: number;
}

export async function measureHotSwapPause(options: {
  initial: BreedClassifier;
  /** Loads the classifier to swap in next (the n-th swap). */
  loadNext: (n: number) => Promise<BreedClassifier>;
  requests: number;
  concurrency: number;
  swapEveryMs: number;
  /** One full request (decode + classify) on the given classifier. */
  classify: (classifier: BreedClassifier, i: number) => Promise<{ modelVersion: string }>;
}): Promise<HotSwapResult> {
  const holder = new ModelHolder<BreedClassifier>(options.initial, options.initial.modelVersion);
  const swapTimes: number[] = [];
  const swapCallMs: number[] = [];
  const loadMs: number[] = [];
  let versionMismatches = 0;
  const began = performance.now();
  let swapping = false;
  const swapWindows: { start: number; end: number }[] = [];
  const ticks: number[] = [];
  const probe = setInterval(() => ticks.push(performance.now() - began), 1);
  const timer = setInterval(() => {
    if (swapping) return;
    swapping = true;
    const t0 = performance.now();
    void options
      .loadNext(swapTimes.length + loadMs.length)
      .then((next) => {
        const t1 = performance.now();
        holder.swap(next, next.modelVersion).catch(() => undefined);
        const t2 = performance.now();
        loadMs.push(t1 - t0);
        swapCallMs.push(t2 - t1);
        swapTimes.push(t1 - began);
        swapWindows.push({ start: t0 - began, end: t2 - began });
      })
      .finally(() => (swapping = false));
  }, options.swapEveryMs);
  let load;
  try {
    load = await runLoad(options.requests, options.concurrency, async (i) => {
      const lease = holder.acquire();
      try {
        const result = await options.classify(lease.model, i);
        if (result.modelVersion !== lease.version) versionMismatches++;
      } finally {
        lease.release();
      }
    });
  } finally {
    clearInterval(timer);
    clearInterval(probe);
    await holder.close();
  }
  // runLoad's clock starts a hair after ours; the difference is far below a request's duration.
  const overlapping: number[] = [];
  const notOverlapping: number[] = [];
  load.spans.forEach((span, i) => {
    const hit = swapTimes.some((t) => t >= span.start && t <= span.end);
    (hit ? overlapping : notOverlapping).push(load.latenciesMs[i]!);
  });
  // Gap i runs from tick i-1 to tick i; it overlaps a window when it starts before the window ends and ends after it starts.
  let maxPause = 0;
  let maxGap = 0;
  for (let i = 1; i < ticks.length; i++) {
    const from = ticks[i - 1]!;
    const to = ticks[i]!;
    maxGap = Math.max(maxGap, to - from);
    if (swapWindows.some((w) => from <= w.end && to >= w.start)) maxPause = Math.max(maxPause, to - from);
  }
  const over = latency(overlapping);
  const calm = latency(notOverlapping);
  return {
    swaps: swapTimes.length,
    requests: options.requests,
    concurrency: options.concurrency,
    maxPauseMs: round(maxPause),
    maxLoopGapMs: round(maxGap),
    swapCallMaxMs: round(Math.max(0, ...swapCallMs), 3),
    loadVersionMaxMs: round(Math.max(0, ...loadMs), 2),
    overlapping: over,
    notOverlapping: calm,
    versionMismatches,
    failures: load.failures,
  };
}

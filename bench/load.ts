/** Bench helpers: drive N requests at a fixed concurrency, and summarise latencies. */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

export interface Latency {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function latency(samples: readonly number[]): Latency {
  if (samples.length === 0) return { p50Ms: NaN, p95Ms: NaN, p99Ms: NaN, meanMs: NaN, maxMs: NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return {
    p50Ms: round(at(0.5)),
    p95Ms: round(at(0.95)),
    p99Ms: round(at(0.99)),
    meanMs: round(samples.reduce((a, b) => a + b, 0) / samples.length),
    maxMs: round(sorted[sorted.length - 1]!),
  };
}

export interface LoadResult {
  requests: number;
  concurrency: number;
  seconds: number;
  imagesPerSecond: number;
  /** Per request, start to finish, in request order. */
  latenciesMs: number[];
  /** Start and end of each request, ms since the run began. */
  spans: { start: number; end: number }[];
  /** Event-loop delay on this (the serving) thread while the load ran. */
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
  /** Share of the run the serving thread was busy (performance.eventLoopUtilization). */
  mainThreadUtilisation: number;
  failures: number;
}

/**
 * Runs `requests` calls of `task` with `concurrency` of them in flight at any time (like that many users
 * posting photos at once), measuring each call's latency and the event loop's delay meanwhile.
 */
export async function runLoad(
  requests: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<LoadResult> {
  const latenciesMs = new Array<number>(requests);
  const spans = new Array<{ start: number; end: number }>(requests);
  let next = 0;
  let failures = 0;
  const lag = monitorEventLoopDelay({ resolution: 1 });
  const began = performance.now();
  const elu = performance.eventLoopUtilization();
  lag.enable();
  const lane = async () => {
    for (let i = next++; i < requests; i = next++) {
      const start = performance.now();
      try {
        await task(i);
      } catch {
        failures++;
      }
      const end = performance.now();
      latenciesMs[i] = end - start;
      spans[i] = { start: start - began, end: end - began };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, lane));
  lag.disable();
  const utilisation = performance.eventLoopUtilization(elu).utilization;
  const seconds = (performance.now() - began) / 1000;
  return {
    requests,
    concurrency,
    seconds: round(seconds),
    imagesPerSecond: round(requests / seconds, 1),
    latenciesMs,
    spans,
    eventLoopLagP99Ms: round(lag.percentile(99) / 1e6),
    eventLoopLagMaxMs: round(lag.max / 1e6),
    mainThreadUtilisation: round(utilisation, 3),
    failures,
  };
}

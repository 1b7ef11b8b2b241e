/**
 * Start-up measurement of embedding engines on the same inputs, so the serving engine is the one that is faster
 * on this machine rather than the one assumed to be.
 */
import type { ModelInput } from '../types.ts';
import type { EmbeddingEngine } from './engine.ts';

/** Milliseconds per image of `engine` on `inputs` (one call = one batch). */
export type EngineTimer = (engine: EmbeddingEngine, inputs: readonly ModelInput[]) => Promise<number>;

/** One untimed call (shader compilation, graph warm-up), then the median of `batches` timed calls. */
export function batchTimer(batches = 3): EngineTimer {
  return async (engine, inputs) => {
    await engine.embed(inputs);
    const times: number[] = [];
    for (let i = 0; i < batches; i++) {
      const start = performance.now();
      await engine.embed(inputs);
      times.push((performance.now() - start) / inputs.length);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  };
}

export interface EngineRace {
  winner: EmbeddingEngine;
  losers: EmbeddingEngine[];
  /** ms per image by engine backendName. */
  msPerImage: Record<string, number>;
}

/** Times every engine in turn on the same inputs; the fastest wins (the first on a tie). */
export async function fastestEngine(
  engines: readonly EmbeddingEngine[],
  inputs: readonly ModelInput[],
  timer: EngineTimer = batchTimer(),
): Promise<EngineRace> {
  if (engines.length === 0) throw new Error('no engine to time');
  const msPerImage: Record<string, number> = {};
  let best = 0;
  const times: number[] = [];
  for (const [i, engine] of engines.entries()) {
    times[i] = await timer(engine, inputs);
    msPerImage[engine.backendName] = times[i]!;
    if (times[i]! < times[best]!) best = i;
  }
  return { winner: engines[best]!, losers: engines.filter((_, i) => i !== best), msPerImage };
}

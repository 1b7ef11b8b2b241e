/**
 * An EmbeddingEngine whose single-image calls from concurrent requests are merged into batches before they
 * reach the engine underneath (one backbone call per batch instead of one per image).
 */
import { BatcherClosedError, MicroBatcher, type BatcherStats } from './batcher.ts';
import type { EmbeddedImage, EmbeddingEngine } from './engine.ts';
import { EngineClosedError } from './worker-engine.ts';
import type { ModelInput } from '../types.ts';

export interface BatchingOptions {
  /** Most images per backbone call (BATCH_MAX). */
  maxBatch: number;
  /** Longest an image waits for others to join its batch (BATCH_WAIT_MS). */
  maxWaitMs: number;
  /** Images allowed to wait; beyond that requests fail fast with BusyError (BATCH_QUEUE_LIMIT). */
  maxQueue: number;
}

export const DEFAULT_BATCHING: BatchingOptions = { maxBatch: 16, maxWaitMs: 0, maxQueue: 256 };

export interface BatchedEngine extends EmbeddingEngine {
  readonly inner: EmbeddingEngine;
  readonly batching: BatchingOptions;
  batchStats(): BatcherStats;
}

const isEngineGone = (err: unknown) => err instanceof EngineClosedError || err instanceof BatcherClosedError;

export function batchedEngine(inner: EmbeddingEngine, options: Partial<BatchingOptions> = {}): BatchedEngine {
  const batching = { ...DEFAULT_BATCHING, ...options };
  const run = inner.embedDetailed
    ? (items: ModelInput[]) => inner.embedDetailed!(items)
    : async (items: ModelInput[]) => (await inner.embed(items)).map((embedding) => ({ embedding }));
  const batcher = new MicroBatcher<ModelInput, EmbeddedImage>({
    run,
    maxBatch: batching.maxBatch,
    maxWaitMs: batching.maxWaitMs,
    maxQueue: batching.maxQueue,
    concurrency: inner.parallelism,
    splitOnError: (err) => !isEngineGone(err),
  });
  // A bulk caller (eval, re-embedding) goes through in slices so it neither trips the queue limit by itself
  // nor starves the interactive requests queued behind it for long.
  const slice = Math.max(1, Math.min(batching.maxQueue, batching.maxBatch * inner.parallelism));

  async function embedDetailed(inputs: readonly ModelInput[]): Promise<EmbeddedImage[]> {
    if (inputs.length <= slice) return batcher.submitAll(inputs);
    const out: EmbeddedImage[] = [];
    for (let start = 0; start < inputs.length; start += slice) {
      out.push(...(await batcher.submitAll(inputs.slice(start, start + slice))));
    }
    return out;
  }

  return {
    kind: inner.kind,
    backendName: inner.backendName,
    parallelism: inner.parallelism,
    inner,
    batching,
    batchStats: () => batcher.stats,
    async embed(inputs) {
      return (await embedDetailed(inputs)).map((e) => e.embedding);
    },
    embedDetailed,
    memory: () => inner.memory(),
    async dispose() {
      await batcher.close();
      await inner.dispose();
    },
  };
}

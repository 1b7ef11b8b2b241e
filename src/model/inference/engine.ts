/**
 * Where embeddings are computed. The classifier only needs `embed`; the serving runtime picks an engine:
 * in this process (simple, but tfjs-wasm blocks the event loop while it computes), in worker threads (the
 * default for the bot), or ONNX Runtime in a worker thread (several times faster on CPU).
 */
import type { Backbone } from '../backbone.ts';
import type { PretrainedSummary } from '../pretrained.ts';
import type { ModelInput } from '../types.ts';

export type EngineKind = 'inprocess' | 'worker' | 'onnx';

/** tfjs tensor bookkeeping of one thread that runs a backbone (to show memory does not grow). */
export interface EngineMemory {
  thread: string;
  /** null where no tfjs runs (ONNX Runtime). */
  numTensors: number | null;
  numBytes: number | null;
  /** V8 heap in use by that thread's isolate. */
  heapUsedBytes?: number;
}

/** An embedding with, where the engine computes it, the pretrained classifier's summary for the verdict. */
export interface EmbeddedImage {
  embedding: Float32Array;
  pretrained?: PretrainedSummary;
}

export interface EmbeddingEngine {
  readonly kind: EngineKind;
  /** What computes, e.g. 'wasm' or 'onnxruntime-node'. */
  readonly backendName: string;
  /** Backbone calls that can run at the same time (workers). */
  readonly parallelism: number;
  /** Embeddings of preprocessed images, in input order. */
  embed(inputs: readonly ModelInput[]): Promise<Float32Array[]>;
  /** Embeddings plus the pretrained summary computed off the calling thread (engines that can). */
  embedDetailed?(inputs: readonly ModelInput[]): Promise<EmbeddedImage[]>;
  memory(): Promise<EngineMemory[]>;
  dispose(): Promise<void>;
}

/** The backbone on the calling thread: each call blocks the event loop for the whole batch. */
export function inProcessEngine(backbone: Backbone, backendName: string): EmbeddingEngine {
  return {
    kind: 'inprocess',
    backendName,
    parallelism: 1,
    embed: (inputs) => backbone.embed(inputs),
    memory: async () => {
      const tf = await import('@tensorflow/tfjs');
      const { numTensors, numBytes } = tf.memory();
      return [{ thread: 'main', numTensors, numBytes }];
    },
    // The backbone belongs to the runtime that loaded it; this engine only borrows it.
    dispose: async () => {},
  };
}

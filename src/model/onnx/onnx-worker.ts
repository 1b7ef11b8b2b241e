import { Worker } from 'node:worker_threads';
import type { ModelConfig } from '../model-config.ts';
import { embedInChunks } from './batch.ts';
import { OnnxConversionError } from './layers-model.ts';
import { ONNX_ENGINE, type OnnxBackbone, type OnnxBackboneOptions } from './onnx-backbone.ts';

export interface WorkerRequest {
  id: number;
  batch: Float32Array;
  count: number;
}

export type WorkerReply =
  | { type: 'ready'; embeddingDim: number; onnxPath: string }
  | { type: 'embedded'; id: number; flat: Float32Array }
  | { type: 'failed'; id: number; name: string; message: string };

function errorFrom(reply: { name: string; message: string }): Error {
  return reply.name === 'OnnxConversionError'
    ? new OnnxConversionError(reply.message)
    : new Error(reply.message);
}

/**
 * The ONNX backbone in a worker thread. onnxruntime-node's session.run is synchronous on the thread that
 * calls it (it only defers the call with setImmediate), so on the main thread every batch would stall the
 * event loop (a Discord gateway heartbeat, other requests) for its whole duration; here it does not.
 * Same interface and results as loadOnnxBackbone.
 */
export async function startOnnxWorker(
  modelDir: string,
  modelConfig: ModelConfig,
  options: OnnxBackboneOptions = {},
): Promise<OnnxBackbone> {
  const entry = new URL('./onnx-worker-thread.ts', import.meta.url).href;
  // Node 20 applies no --import hooks inside worker threads, so the worker registers tsx itself first.
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { modelDir, modelConfig, options } });
  const pending = new Map<number, { resolve: (flat: Float32Array) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;

  const ready = new Promise<{ embeddingDim: number; onnxPath: string }>((resolve, reject) => {
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') return resolve(reply);
      if (reply.id === -1 && reply.type === 'failed') return reject(errorFrom(reply));
      const request = pending.get(reply.id);
      if (!request) return;
      pending.delete(reply.id);
      if (pending.size === 0) worker.unref();
      if (reply.type === 'embedded') request.resolve(reply.flat);
      else request.reject(errorFrom(reply));
    });
    const fail = (err: Error) => {
      failure = err;
      reject(err);
      for (const request of pending.values()) request.reject(err);
      pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the ONNX Runtime worker exited (code ${code})`)));
  });
  let info: { embeddingDim: number; onnxPath: string };
  try {
    info = await ready;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  // An idle worker must not keep the process alive; one with work in flight must.
  worker.unref();

  const size = modelConfig.inputSize;
  const embedFlat = (batch: Float32Array, count: number) =>
    new Promise<Float32Array>((resolve, reject) => {
      if (failure) return reject(failure);
      const id = nextId++;
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject });
      // The packed batch is ours: hand its memory to the worker instead of copying it.
      worker.postMessage({ id, batch, count } satisfies WorkerRequest, [batch.buffer as ArrayBuffer]);
    });

  return {
    engine: ONNX_ENGINE,
    embeddingDim: info.embeddingDim,
    inputSize: size,
    onnxPath: info.onnxPath,
    embed: (inputs) =>
      embedInChunks(inputs, { size, dim: info.embeddingDim, maxBatch: options.maxBatch ?? 32 }, embedFlat),
    embedFlat,
    dispose: async () => {
      await worker.terminate();
    },
  };
}

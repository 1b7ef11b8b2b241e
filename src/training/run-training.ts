/**
 * Runs a training in a worker thread so the bot keeps answering while it trains. The promise settles with the
 * candidate (saved under modelsDir when given, promotion decided) or rejects when training fails, is aborted or
 * the worker dies. A version folder is only ever renamed into place complete, so a killed worker leaves nothing
 * half-written behind and the active model untouched.
 */
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../model/backend.ts';
import type { TrainingInput, TrainingResult } from './pipeline.ts';
import type { EpochProgress } from './types.ts';

export interface RunTrainingOptions {
  onProgress?: (progress: EpochProgress) => void;
  /** Aborting terminates the worker at once. */
  signal?: AbortSignal;
  /** tfjs engine for the worker (TF_BACKEND); automatic when omitted. */
  backend?: BackendName;
  /** Called with the worker once it started (tests use it to kill the worker mid-run). */
  onWorker?: (worker: Worker) => void;
}

export class TrainingFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrainingFailedError';
  }
}

type WorkerMessage =
  | { type: 'progress'; progress: EpochProgress }
  | { type: 'done'; result: TrainingResult }
  | { type: 'error'; message: string; name?: string; stack?: string };

export function runTraining(input: TrainingInput, options: RunTrainingOptions = {}): Promise<TrainingResult> {
  return new Promise<TrainingResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(abortError());
      return;
    }
    const worker = new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), {
      workerData: { input, ...(options.backend ? { backend: options.backend } : {}) },
      // Stored photo bytes (the second stage) move to the worker instead of being copied.
      transferList: photoBuffers(input),
      // The parent's own flags (e.g. --test) mean nothing to the worker.
      execArgv: [],
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      settle(() => reject(abortError()));
      void worker.terminate();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    options.onWorker?.(worker);

    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') options.onProgress?.(m.progress);
      else if (m.type === 'done') settle(() => resolve(m.result));
      else if (m.type === 'error') {
        const err = new TrainingFailedError(`training failed: ${m.message}`);
        if (m.stack) err.stack = m.stack;
        settle(() => reject(err));
      }
    });
    worker.on('error', (err) =>
      settle(() =>
        reject(new TrainingFailedError(`training worker crashed: ${err.message}`, { cause: err })),
      ),
    );
    worker.on('exit', (code) =>
      settle(() => reject(new TrainingFailedError(`training worker exited (code ${code}) before finishing`))),
    );
  });
}

function photoBuffers(input: TrainingInput): ArrayBuffer[] {
  const photos = input.fineTune;
  if (!photos) return [];
  const buffers = new Set<ArrayBuffer>();
  for (const bytes of [...Object.values(photos.images), ...photos.references.map((r) => r.bytes)]) {
    // Only buffers a photo has to itself: a pooled slice would detach its neighbours too.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    if (whole && bytes.buffer instanceof ArrayBuffer) buffers.add(bytes.buffer);
  }
  return [...buffers];
}

function abortError(): Error {
  const err = new Error('training was cancelled');
  err.name = 'AbortError';
  return err;
}

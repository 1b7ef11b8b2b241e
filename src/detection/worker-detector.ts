/**
 * The detector in a worker thread (detector-worker.ts), for serving processes: detection there does not hold up
 * the event loop. Same answers as DogDetector.detect; requests run one after another in the worker.
 */
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../model/backend.ts';
import type { DogDetection } from './boxes.ts';
import type { DetectorConfig } from './detector-config.ts';
import type { ResolvedDetectorFiles } from './detector-source.ts';
import type { DetectorEngineSetting } from './onnx-trunk.ts';

export interface DetectorWorkerSetup {
  config: DetectorConfig;
  files: ResolvedDetectorFiles;
  backend?: BackendName;
  maxPixels?: number;
  /** DETECTOR_ENGINE (default tfjs) and where a converted ONNX trunk is cached. */
  engine?: DetectorEngineSetting;
  cacheRoot?: string;
}

export type ToDetectorWorker = { id: number; bytes: ArrayBuffer };
export type FromDetectorWorker =
  | { type: 'ready'; backend: string; engine: { name: string; reason: string } }
  | { type: 'startup-failed'; message: string }
  | { type: 'detected'; id: number; detection: DogDetection }
  | { type: 'failed'; id: number; message: string };

/** What finds dogs, in this thread or another. */
export interface DogFinder {
  /** What runs the detector (DETECTOR_ENGINE's outcome), where known. */
  readonly engine?: { name: string; reason: string };
  detect(bytes: Uint8Array): Promise<DogDetection>;
  dispose(): void | Promise<void>;
}

const BOOTSTRAP = new URL('./detector-worker.mjs', import.meta.url);

export class WorkerDogDetector implements DogFinder {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(d: DogDetection): void; reject(e: Error): void }>();
  #nextId = 1;
  #closed = false;

  private constructor(
    worker: Worker,
    /** What runs the detector in the worker (see DogDetector.engine), and its tfjs backend. */
    readonly engine: { name: string; reason: string; backend: string },
  ) {
    this.#worker = worker;
    worker.on('message', (message: FromDetectorWorker) => {
      if (message.type !== 'detected' && message.type !== 'failed') return;
      const call = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      // An idle worker must not keep the process alive.
      if (this.#pending.size === 0) worker.unref();
      if (message.type === 'detected') call?.resolve(message.detection);
      else call?.reject(new Error(`dog detection failed: ${message.message}`));
    });
    const failAll = (err: Error) => {
      this.#closed = true;
      for (const call of this.#pending.values()) call.reject(err);
      this.#pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', () => failAll(new Error('the detector worker has stopped')));
  }

  /** Starts the worker and waits until its model is loaded; rejects with the worker's reason when it cannot. */
  static async start(setup: DetectorWorkerSetup): Promise<WorkerDogDetector> {
    const worker = new Worker(BOOTSTRAP, { workerData: setup });
    let onExit: (code: number) => void = () => {};
    let onError: (err: Error) => void = () => {};
    const first = await new Promise<FromDetectorWorker>((resolve, reject) => {
      onError = reject;
      onExit = (code) => reject(new Error(`the detector worker exited (code ${code}) while starting`));
      worker.once('message', resolve);
      worker.once('error', onError);
      worker.once('exit', onExit);
    }).finally(() => {
      // Only these: Worker keeps its message port going through listeners of its own.
      worker.off('error', onError);
      worker.off('exit', onExit);
    });
    if (first.type !== 'ready') {
      await worker.terminate();
      throw new Error(
        `the detector worker could not start: ${first.type === 'startup-failed' ? first.message : first.type}`,
      );
    }
    worker.unref();
    return new WorkerDogDetector(worker, { ...first.engine, backend: first.backend });
  }

  detect(bytes: Uint8Array): Promise<DogDetection> {
    if (this.#closed) return Promise.reject(new Error('the detector is closed'));
    const id = this.#nextId++;
    // A copy of its own to transfer: Buffer#slice is a view, and transferring would detach the caller's bytes.
    const copy = Uint8Array.from(bytes).buffer;
    return new Promise<DogDetection>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({ id, bytes: copy } satisfies ToDetectorWorker, [copy]);
    });
  }

  async dispose(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#worker.terminate();
  }
}

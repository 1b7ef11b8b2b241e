/**
 * Embeddings computed in worker threads. Each worker loads the backbone itself and runs one batch at a time;
 * the pool hands each batch to the least busy worker. Inputs are packed into one buffer per batch and
 * transferred (not copied) to the worker, embeddings come back the same way.
 *
 * Idle workers do not keep the process alive (they are unref'd between requests), so a caller that forgets
 * dispose() still exits; dispose() terminates them and fails whatever was still waiting with EngineClosedError.
 */
import { Worker } from 'node:worker_threads';
import { log } from '../../log.ts';
import type { BackendName } from '../backend.ts';
import type { PretrainedWeights } from '../pretrained.ts';
import { packBatch } from '../input-batch.ts';
import type { ModelInput } from '../types.ts';
import type { EmbeddedImage, EmbeddingEngine, EngineMemory } from './engine.ts';
import type { EmbedWorkerSetup, FromWorker, ToWorker, WorkerBackboneKind } from './worker-protocol.ts';

const BOOTSTRAP = new URL('./embed-worker.mjs', import.meta.url);

/** The engine was disposed, or none of its workers is running. */
export class EngineClosedError extends Error {
  readonly code = 'engine_closed';
  constructor(message = 'the embedding engine is closed') {
    super(message);
    this.name = 'EngineClosedError';
  }
}

export interface WorkerEngineOptions {
  kind: WorkerBackboneKind;
  modelConfigPath: string;
  /** Local folder of the base model (already resolved from BASE_MODEL). */
  modelDir: string;
  /** tfjs engine inside the workers (TF_BACKEND); automatic when absent. */
  backend?: BackendName;
  /** Worker threads (each runs one batch at a time). */
  workers: number;
  /** ONNX Runtime intra-op threads per worker. */
  onnxThreads?: number;
  /** Whether ONNX Runtime's pool threads spin while waiting (see OnnxBackboneOptions.spinning). */
  onnxSpinning?: boolean;
  /** 'int8': the integer graph of `tfliteFile` (see EmbedWorkerSetup). */
  onnxPrecision?: EmbedWorkerSetup['onnxPrecision'];
  tfliteFile?: string;
  /** The pretrained classifier: workers then also compute each image's not-a-dog summary. */
  pretrained?: PretrainedWeights;
  /** How long a worker may take to load the backbone (default 120 s). */
  startupTimeoutMs?: number;
}

interface PendingCall {
  resolve(message: FromWorker): void;
  reject(err: Error): void;
}

class EmbedWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, PendingCall>();
  #nextId = 1;
  #alive = true;
  #stopping = false;
  #started = false;
  readonly ready: Promise<Extract<FromWorker, { type: 'ready' }>>;

  constructor(
    readonly setup: EmbedWorkerSetup,
    startupTimeoutMs: number,
    onUnexpectedExit: (worker: EmbedWorker, reason: string) => void,
  ) {
    // execArgv: [] because the parent's flags (e.g. --input-type, or --import tsx, which workers do not honour
    // for their entry) break or do nothing here; the bootstrap registers tsx itself.
    this.#worker = new Worker(BOOTSTRAP, { workerData: setup, name: setup.label, execArgv: [] });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${setup.label} did not load the backbone within ${startupTimeoutMs} ms`));
        void this.stop();
      }, startupTimeoutMs);
      this.#worker.once('message', (m: FromWorker) => {
        clearTimeout(timer);
        if (m.type === 'ready') resolve(m);
        else reject(new Error(m.type === 'startup-error' ? m.message : `unexpected first message ${m.type}`));
      });
      this.#worker.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`${setup.label} exited while loading the backbone`));
      });
    });
    this.ready.then(
      () => {
        this.#started = true;
        this.#worker.on('message', (m: FromWorker) => this.#onMessage(m));
        this.#worker.unref();
      },
      () => undefined,
    );
    this.#worker.on('error', (err) => {
      log.error({ err, worker: setup.label }, 'embedding worker failed');
      this.#fail(`${setup.label} failed: ${err.message}`);
    });
    this.#worker.on('exit', (code) => {
      this.#fail(`${setup.label} exited (code ${code})`);
      // A worker that never started would fail the same way again: only a crash in service is replaced.
      if (!this.#stopping && this.#started) onUnexpectedExit(this, `exit code ${code}`);
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  get load(): number {
    return this.#pending.size;
  }

  #fail(reason: string): void {
    this.#alive = false;
    const error = this.#stopping ? new EngineClosedError() : new Error(reason);
    for (const call of this.#pending.values()) call.reject(error);
    this.#pending.clear();
  }

  #onMessage(m: FromWorker): void {
    if (!('id' in m)) return;
    const call = this.#pending.get(m.id);
    if (!call) return;
    this.#pending.delete(m.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (m.type === 'error') call.reject(new Error(m.message));
    else call.resolve(m);
  }

  request(message: ToWorker, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    if (!this.#alive) return Promise.reject(new EngineClosedError(`${this.setup.label} is not running`));
    return new Promise((resolve, reject) => {
      // A request in flight keeps the process alive until its answer arrives.
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(message.id, { resolve, reject });
      this.#worker.postMessage(message, transfer);
    });
  }

  newId(): number {
    return this.#nextId++;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#worker.terminate();
  }
}

export interface WorkerEngine extends EmbeddingEngine {
  readonly embeddingDim: number;
  readonly inputSize: number;
}

/** Starts `workers` threads, waits until each has loaded the backbone, and returns the engine. */
export async function startWorkerEngine(options: WorkerEngineOptions): Promise<WorkerEngine> {
  if (!Number.isInteger(options.workers) || options.workers < 1) {
    throw new RangeError(`workers must be a positive integer, got ${options.workers}`);
  }
  const startupTimeoutMs = options.startupTimeoutMs ?? 120_000;
  let disposed = false;
  const setupFor = (i: number): EmbedWorkerSetup => ({
    kind: options.kind,
    modelConfigPath: options.modelConfigPath,
    modelDir: options.modelDir,
    label: `embed-worker-${i + 1}`,
    ...(options.backend ? { backend: options.backend } : {}),
    ...(options.onnxThreads ? { onnxThreads: options.onnxThreads } : {}),
    ...(options.onnxSpinning === undefined ? {} : { onnxSpinning: options.onnxSpinning }),
    ...(options.onnxPrecision ? { onnxPrecision: options.onnxPrecision } : {}),
    ...(options.tfliteFile ? { tfliteFile: options.tfliteFile } : {}),
    ...(options.pretrained ? { pretrained: options.pretrained } : {}),
  });

  const workers: EmbedWorker[] = [];
  const replace = (dead: EmbedWorker, reason: string) => {
    if (disposed) return;
    log.error(
      { worker: dead.setup.label, reason },
      'embedding worker stopped unexpectedly; starting a new one',
    );
    const fresh = new EmbedWorker(dead.setup, startupTimeoutMs, replace);
    const slot = workers.indexOf(dead);
    if (slot >= 0) workers[slot] = fresh;
    fresh.ready.catch((err: unknown) =>
      log.error({ err, worker: dead.setup.label }, 'replacement worker failed'),
    );
  };

  for (let i = 0; i < options.workers; i++)
    workers.push(new EmbedWorker(setupFor(i), startupTimeoutMs, replace));
  let first: Extract<FromWorker, { type: 'ready' }>;
  try {
    [first] = (await Promise.all(workers.map((w) => w.ready))) as [Extract<FromWorker, { type: 'ready' }>];
  } catch (err) {
    disposed = true;
    await Promise.all(workers.map((w) => w.stop()));
    throw new Error(`embedding workers could not start: ${(err as Error).message}`, { cause: err });
  }
  const { embeddingDim, inputSize, backendName } = first;
  log.info(
    { workers: options.workers, kind: options.kind, backend: backendName },
    `embedding in ${options.workers} worker thread(s) on ${backendName}`,
  );

  const pick = (): EmbedWorker => {
    const alive = workers.filter((w) => w.alive);
    if (alive.length === 0) throw new EngineClosedError('no embedding worker is running');
    return alive.reduce((best, w) => (w.load < best.load ? w : best));
  };

  async function embedDetailed(inputs: readonly ModelInput[]): Promise<EmbeddedImage[]> {
    if (disposed) throw new EngineClosedError();
    if (inputs.length === 0) return [];
    const batch = packBatch(inputs, inputSize);
    const worker = pick();
    const id = worker.newId();
    const reply = await worker.request({ type: 'embed', id, count: inputs.length, batch }, [batch.buffer]);
    if (reply.type !== 'embedded') throw new Error(`unexpected reply ${reply.type}`);
    const { embeddings, dim, summaries } = reply;
    return inputs.map((_, i) => ({
      // A copy, so each embedding owns its buffer (callers store embedding.buffer).
      embedding: embeddings.slice(i * dim, (i + 1) * dim),
      ...(summaries
        ? {
            pretrained: {
              dogProbability: summaries[i * 3]!,
              bestOther: summaries[i * 3 + 1]!,
              bestOtherProbability: summaries[i * 3 + 2]!,
            },
          }
        : {}),
    }));
  }

  return {
    kind: options.kind === 'onnx' ? 'onnx' : 'worker',
    backendName,
    parallelism: options.workers,
    embeddingDim,
    inputSize,
    async embed(inputs: readonly ModelInput[]) {
      return (await embedDetailed(inputs)).map((e) => e.embedding);
    },
    embedDetailed,
    async memory(): Promise<EngineMemory[]> {
      const alive = workers.filter((w) => w.alive);
      return Promise.all(
        alive.map(async (w) => {
          const reply = await w.request({ type: 'memory', id: w.newId() });
          if (reply.type !== 'memory') throw new Error(`unexpected reply ${reply.type}`);
          return {
            thread: w.setup.label,
            numTensors: reply.numTensors,
            numBytes: reply.numBytes,
            heapUsedBytes: reply.heapUsedBytes,
          };
        }),
      );
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all(workers.map((w) => w.stop()));
    },
  };
}

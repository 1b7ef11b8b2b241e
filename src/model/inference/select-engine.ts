/**
 * EMBED_ENGINE: which EmbeddingEngine serves.
 *   inprocess  the backbone on the calling thread (tfjs; blocks the event loop while it computes)
 *   worker     tfjs in EMBED_WORKERS worker threads (default: one per core, at most 2), same backend as the main thread
 *   onnx       ONNX Runtime (onnxruntime-node, CPU) in one worker thread (one intra-op thread per core), checked
 *              against tfjs at start-up; the float graph or the .tflite file's integer one (ONNX_PRECISION)
 *   auto       onnx when onnxruntime-node loads and agrees with tfjs, else worker (see AUTO_PREFERS_ONNX)
 */
import os from 'node:os';
import { log } from '../../log.ts';
import type { Backbone } from '../backbone.ts';
import type { BackendName } from '../backend.ts';
import type { PretrainedWeights } from '../pretrained.ts';
import type { ModelInput } from '../types.ts';
import { inProcessEngine, type EmbeddingEngine } from './engine.ts';
import { fastestEngine, type EngineTimer } from './engine-timing.ts';
import { startWorkerEngine } from './worker-engine.ts';
import type { OnnxPrecision } from '../onnx/onnx-backbone.ts';
import { chooseOnnxPrecision, type OnnxPrecisionSetting } from '../onnx/onnx-precision.ts';

export const EMBED_ENGINE_SETTINGS = ['auto', 'worker', 'inprocess', 'onnx'] as const;
export type EmbedEngineSetting = (typeof EMBED_ENGINE_SETTINGS)[number];

/**
 * Measured in `npm run bench` on the 2-core reference machine: tfjs-wasm in two worker threads gave a classify
 * p50 of ~66 ms (target <= 60) and ~28 images/s at concurrency 8; ONNX Runtime in a worker ~20 ms and 60+
 * images/s, with probabilities equal to tfjs's within 4e-6. So auto prefers ONNX and falls back to tfjs
 * workers when onnxruntime-node is missing, cannot convert the model, or disagrees at start-up.
 */
export const AUTO_PREFERS_ONNX = true;

/** Largest |onnx - tfjs| accepted at start-up, relative to the embedding's largest magnitude (min 1). */
export const ONNX_AGREEMENT_TOLERANCE = 1e-4;

/**
 * Smallest cosine between the int8 graph's embedding of the start-up probe and tfjs's float one. Measured
 * (2026-12-06): int8 against float 0.889 on the probe for EdgeTPU and 0.983 for V2 (the synthetic gradients sit
 * outside the activation ranges the file was calibrated on; real photos give 0.986-0.999), while two unrelated
 * images' embeddings have cosine 0.10-0.40. A wrong or broken graph therefore lands far below 0.8.
 */
export const INT8_MIN_COSINE = 0.8;

export interface EngineSelectionOptions {
  setting: EmbedEngineSetting;
  /** The main thread's loaded backbone: the in-process engine and the reference for the ONNX check. */
  backbone: Backbone;
  /** The tfjs backend the main thread chose; workers use the same. */
  backendName: BackendName;
  modelConfigPath: string;
  /** Worker threads for the tfjs worker engine; 0 or absent: one per core, at most 2. */
  workers?: number;
  /** ONNX Runtime intra-op threads; default: one per core (see defaultOnnxThreads). */
  onnxThreads?: number;
  /** ONNX Runtime worker threads, each with its own session (default 1). */
  onnxWorkers?: number;
  /** Whether ONNX Runtime's pool threads spin while waiting (ONNX_SPINNING; default: the backbone's, off). */
  onnxSpinning?: boolean;
  /** ONNX_PRECISION (default float): the float import or the .tflite file's integer graph; see onnx-precision.ts. */
  onnxPrecision?: OnnxPrecisionSetting;
  /** How auto times ONNX Runtime against WebGPU when the backend is webgpu (default: batchTimer()). */
  timer?: EngineTimer;
}

export interface EngineSelection {
  engine: EmbeddingEngine;
  setting: EmbedEngineSetting;
  /** Why the preferred engine (onnx for auto) is not the one serving. */
  fallbackReason?: string;
  /** For onnx: the largest difference from tfjs found by the start-up check. */
  onnxMaxAbsDiff?: number;
  /** For onnx: which graph serves, and why (the setting, what auto saw, or why int8 fell back). */
  onnxPrecision?: OnnxPrecision;
  onnxPrecisionReason?: string;
  /** auto on webgpu: ms per image each engine took at start-up, by backend name. */
  measuredMsPerImage?: Record<string, number>;
}

/** Images per timed batch when auto measures ONNX Runtime against WebGPU. */
export const ENGINE_RACE_BATCH = 16;

/**
 * auto on a WebGPU backend: ONNX Runtime (CPU) and WebGPU (on the calling thread: one GPU device, and the
 * GPU does the work) are timed on the same batch and the faster serves.
 */
async function fasterOfOnnxAndWebGpu(options: EngineSelectionOptions): Promise<EngineSelection> {
  const webgpu = inProcessEngine(options.backbone, options.backendName);
  let onnx: StartedOnnx;
  try {
    onnx = await startOnnx(options);
  } catch (err) {
    const fallbackReason = (err as Error).message;
    log.info({ reason: fallbackReason }, 'ONNX Runtime engine unavailable; embedding with WebGPU');
    return { setting: 'auto', engine: webgpu, fallbackReason };
  }
  const size = options.backbone.config.inputSize;
  const inputs = Array.from({ length: ENGINE_RACE_BATCH }, () => probeInput(size));
  const race = await fastestEngine([onnx.engine, webgpu], inputs, options.timer);
  await Promise.all(race.losers.map((e) => e.dispose()));
  log.info(
    { msPerImage: race.msPerImage, chosen: race.winner.backendName },
    'embedding engine measured at start-up',
  );
  return {
    setting: 'auto',
    engine: race.winner,
    measuredMsPerImage: race.msPerImage,
    ...(race.winner === onnx.engine
      ? onnxReport(onnx)
      : { fallbackReason: 'WebGPU was faster than ONNX Runtime at start-up' }),
  };
}

const pretrainedWeightsOf = (backbone: Backbone): PretrainedWeights => ({
  kernel: backbone.classifier.kernel,
  bias: backbone.classifier.bias,
  embeddingDim: backbone.embeddingDim,
  dogClasses: backbone.config.dogClasses,
});

/**
 * One ONNX Runtime thread per core (ONNX_THREADS overrides). Leaving a core to decoding and the event loop
 * (cores - 1) was measured worse on 2 cores with the default MobileNet-EdgeTPU, whose embedding costs about 3x
 * a decode (2026-12-02, `npm run bench`): concurrency 8 38.7 img/s with one thread against 52.9 with two, p50 40.2
 * against 25.4 ms, event-loop lag p99 6.9 against 9.5 ms (under the 20 ms budget). The light MobileNet v1 did
 * better with one thread at concurrency 8 (84.5 against 64 img/s, under load), so ONNX_THREADS=1 suits it.
 */
export const defaultOnnxThreads = () => Math.max(1, os.availableParallelism());

export const defaultWorkerCount = () => Math.max(1, Math.min(2, os.availableParallelism()));

/** A deterministic, image-like input (smooth colour gradients) for the start-up agreement check. */
export function probeInput(size: number): ModelInput {
  const data = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      data[i] = Math.sin(x / 17) * 0.8;
      data[i + 1] = Math.cos(y / 23) * 0.8;
      data[i + 2] = ((x + y) / size - 1) * 0.9;
    }
  }
  return { data, size };
}

export function maxAbsDifference(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let max = 0;
  a.forEach((row, i) => row.forEach((v, j) => (max = Math.max(max, Math.abs(v - b[i]![j]!)))));
  return max;
}

export function cosineOf(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

interface StartedOnnx {
  engine: EmbeddingEngine;
  diff: number;
  precision: OnnxPrecision;
  precisionReason: string;
}

/** One ONNX worker engine at `precision`, checked against the tfjs backbone on the start-up probe. */
async function startOnnxAt(
  options: EngineSelectionOptions,
  precision: OnnxPrecision,
): Promise<{ engine: EmbeddingEngine; diff: number }> {
  const { backbone } = options;
  const engine = await startWorkerEngine({
    kind: 'onnx',
    workers: options.onnxWorkers ?? 1,
    onnxThreads: options.onnxThreads ?? defaultOnnxThreads(),
    ...(options.onnxSpinning === undefined ? {} : { onnxSpinning: options.onnxSpinning }),
    ...(precision === 'int8' ? { onnxPrecision: precision, tfliteFile: backbone.source.tfliteFile! } : {}),
    modelConfigPath: options.modelConfigPath,
    modelDir: backbone.source.dir,
    pretrained: pretrainedWeightsOf(backbone),
  });
  try {
    const probe = [probeInput(backbone.config.inputSize)];
    const [reference, onnx] = [await backbone.embed(probe), await engine.embed(probe)];
    const diff = maxAbsDifference(reference, onnx);
    if (precision === 'int8') {
      const cosine = cosineOf(reference[0]!, onnx[0]!);
      if (!(cosine >= INT8_MIN_COSINE)) {
        throw new Error(
          `the int8 ONNX graph's embedding has cosine ${cosine.toFixed(4)} to tfjs's on the start-up probe`,
        );
      }
    } else {
      const scale = Math.max(1, ...reference[0]!.map(Math.abs));
      if (!(diff <= ONNX_AGREEMENT_TOLERANCE * scale)) {
        throw new Error(`ONNX Runtime disagrees with tfjs by ${diff.toExponential(2)} on the start-up probe`);
      }
    }
    return { engine, diff };
  } catch (err) {
    await engine.dispose();
    throw err;
  }
}

/**
 * The ONNX engine at the precision ONNX_PRECISION chooses. An int8 graph that auto chose but that fails to convert
 * or to agree falls back to float; ONNX_PRECISION=int8 fails instead.
 */
async function startOnnx(options: EngineSelectionOptions): Promise<StartedOnnx> {
  const setting = options.onnxPrecision ?? 'float';
  const choice = chooseOnnxPrecision(setting, options.backbone);
  let precisionReason = choice.reason;
  if (choice.precision === 'int8') {
    try {
      const started = {
        ...(await startOnnxAt(options, 'int8')),
        precision: 'int8' as const,
        precisionReason,
      };
      log.info({ precision: 'int8', reason: precisionReason }, 'ONNX Runtime serves the integer graph');
      return started;
    } catch (err) {
      if (setting === 'int8')
        throw new Error(`ONNX_PRECISION=int8 cannot be used: ${(err as Error).message}`);
      precisionReason = `int8 unusable (${(err as Error).message}); serving float`;
      log.warn({ reason: precisionReason }, 'int8 ONNX backbone unusable; serving the float graph');
    }
  }
  return { ...(await startOnnxAt(options, 'float')), precision: 'float', precisionReason };
}

/** What an EngineSelection reports about the ONNX engine that serves. */
function onnxReport(started: StartedOnnx) {
  return {
    onnxMaxAbsDiff: started.diff,
    onnxPrecision: started.precision,
    onnxPrecisionReason: started.precisionReason,
  };
}

const startTfjsWorkers = (options: EngineSelectionOptions) =>
  startWorkerEngine({
    kind: 'tfjs',
    workers: options.workers || defaultWorkerCount(),
    backend: options.backendName,
    modelConfigPath: options.modelConfigPath,
    modelDir: options.backbone.source.dir,
    pretrained: pretrainedWeightsOf(options.backbone),
  });

export async function selectEmbeddingEngine(options: EngineSelectionOptions): Promise<EngineSelection> {
  const { setting } = options;
  switch (setting) {
    case 'inprocess':
      return { setting, engine: inProcessEngine(options.backbone, options.backendName) };
    case 'worker':
      return { setting, engine: await startTfjsWorkers(options) };
    case 'onnx': {
      const started = await startOnnx(options).catch((err: unknown) => {
        throw new Error(`EMBED_ENGINE=onnx cannot be used: ${(err as Error).message}`, { cause: err });
      });
      return { setting, engine: started.engine, ...onnxReport(started) };
    }
    case 'auto': {
      if (options.backendName === 'webgpu') return await fasterOfOnnxAndWebGpu(options);
      if (!AUTO_PREFERS_ONNX) return { setting, engine: await startTfjsWorkers(options) };
      try {
        const started = await startOnnx(options);
        return { setting, engine: started.engine, ...onnxReport(started) };
      } catch (err) {
        // An explicit ONNX_PRECISION=int8 that cannot be served is the operator's mistake, not a reason to fall back.
        if (options.onnxPrecision === 'int8') throw err;
        const fallbackReason = (err as Error).message;
        log.warn({ reason: fallbackReason }, 'ONNX Runtime engine unavailable; embedding with tfjs workers');
        return { setting, engine: await startTfjsWorkers(options), fallbackReason };
      }
    }
  }
}

/**
 * The GPU proof: what the WebGPU adapter is, whether its embeddings agree with the cpu backend, and how fast it
 * infers, trains a head and fine-tunes the backbone, with CPU figures beside them. Every step is time-boxed and
 * the report is written after each one, so a run cut short still leaves its figures.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '../model/backend.ts';
import { loadBackbone, type Backbone } from '../model/backbone.ts';
import { agreementWithCpu } from '../model/backend-agreement.ts';
import { loadModelConfig, type ModelConfig } from '../model/model-config.ts';
import {
  describeAdapter,
  registerWebGpu,
  softwareAdapterReason,
  type WebGpuAdapterInfo,
} from '../model/webgpu-backend.ts';
import { benchFineTune, type FineTuneSizes } from './fine-tune-bench.ts';
import { benchHeadTraining, syntheticLabels } from './head-bench.ts';
import { benchInference } from './inference-bench.ts';
import { readPhotos, toModelInput } from './photos.ts';
import { Deadline, runStep } from './time-box.ts';

export interface ProofOptions {
  modelDir: string;
  modelConfigPath: string;
  photosDir: string;
  /** Where gpu-proof.json and gpu-proof.log go. */
  outDir: string;
  /** Photos read from photosDir (at most). */
  photos: number;
  agreementPhotos: number;
  batches: number[];
  /** Timed calls per batch size (fewer when the step's time runs out). */
  maxRuns: number;
  headLabels: number;
  headBreeds: number;
  headEpochs: number;
  fineTune: FineTuneSizes;
  /** Training photos of the CPU fine-tuning epoch (the cpu backend is far slower; see cpuFineTune in the report). */
  cpuFineTunePhotos: number;
  /** The whole run's budget; each step gets a share (STEP_SHARES). */
  budgetSeconds: number;
  /** Imports tfjs's WebGPU backend into the caller's tfjs (see registerWebGpu's loadBackend). */
  loadWebGpuBackend?: () => Promise<unknown>;
}

/** Each step's share of the budget (of the time left when it starts, among the steps not yet run). */
export const STEP_SHARES = {
  adapter: 0.04,
  agreement: 0.12,
  gpuInference: 0.15,
  gpuHead: 0.08,
  gpuFineTune: 0.2,
  cpuInference: 0.12,
  cpuHead: 0.15,
  cpuFineTune: 0.14,
} as const;

/** CPU figures: wasm for inference and head training (the fastest tfjs CPU engine); wasm cannot train convolutions. */
const CPU_INFERENCE_BACKEND: BackendName = 'wasm';
const CPU_FINE_TUNE_BACKEND: BackendName = 'cpu';

export type ProofReport = Record<string, unknown>;

export async function runProof(options: ProofOptions): Promise<ProofReport> {
  const began = performance.now();
  const deadline = new Deadline(options.budgetSeconds);
  // Each step gets its share of the time still left, so time a quick step leaves over goes to the later ones.
  const pending = new Set(Object.keys(STEP_SHARES) as (keyof typeof STEP_SHARES)[]);
  const box = (step: keyof typeof STEP_SHARES) => {
    const sharesLeft = [...pending].reduce((sum, s) => sum + STEP_SHARES[s], 0);
    pending.delete(step);
    return deadline.step((deadline.leftMs() / 1000) * (STEP_SHARES[step] / sharesLeft));
  };
  const logFile = path.join(options.outDir, 'gpu-proof.log');
  const jsonFile = path.join(options.outDir, 'gpu-proof.json');
  writeFileSync(logFile, '');
  const log = (line: string) => {
    const stamped = `${new Date().toISOString()} ${line}\n`;
    process.stderr.write(stamped);
    writeFileSync(logFile, stamped, { flag: 'a' });
  };
  const report: ProofReport = {
    startedAt: new Date().toISOString(),
    machine: {
      platform: `${process.platform}-${process.arch}`,
      node: process.version,
      cpus: os.cpus().length,
    },
    sizes: { ...options, loadWebGpuBackend: undefined, outDir: undefined },
  };
  const save = () => {
    report.seconds = (performance.now() - began) / 1000;
    writeFileSync(jsonFile, JSON.stringify(report, null, 2) + '\n');
  };
  save();

  const config = loadModelConfig(options.modelConfigPath);
  const spec = fineTuneSpecOf(config);
  let embeddingDim = (config as { embeddingDim?: number }).embeddingDim;
  const photos = await readPhotos(options.photosDir, config.inputSize, options.photos);
  const inputs = photos.map((p) => toModelInput(p.pixels, config.inputSize, config.normalisation));
  log(`${photos.length} photos read from ${options.photosDir}`);
  const load = (backend: string) => loadBackendAndModel(backend as BackendName, config, options.modelDir);

  report.adapter = await runStep('adapter', box('adapter'), async () => adapterReport(options), log);
  save();
  const webgpuFound = (report.adapter as { found?: boolean }).found === true;

  let gpu: Backbone | undefined;
  report.agreement = await runStep(
    'agreement',
    box('agreement'),
    async () => {
      if (!webgpuFound) throw new Error('no WebGPU adapter');
      const sample = inputs.slice(0, options.agreementPhotos);
      const cpu = await load('cpu');
      const expected = await cpu.embed(sample);
      cpu.dispose();
      gpu = await load('webgpu');
      embeddingDim = gpu.embeddingDim;
      const actual = await gpu.embed(sample);
      let maxAbsDiff = 0;
      expected.forEach((row, i) =>
        row.forEach((v, j) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - actual[i]![j]!)))),
      );
      return {
        photos: sample.length,
        maxAbsDiff,
        startUpCheckRelativeDiff: await agreementWithCpu('webgpu'),
      };
    },
    log,
  );
  save();

  const webgpu: ProofReport = { backend: 'webgpu' };
  report.webgpu = webgpu;
  if (gpu) {
    const backbone = gpu;
    webgpu.inference = await runStep(
      'webgpu inference',
      box('gpuInference'),
      (clock) => benchInference(backbone, inputs, options.batches, options.maxRuns, clock),
      log,
    );
    backbone.dispose();
    save();
    webgpu.headTraining = await runStep(
      'webgpu head training',
      box('gpuHead'),
      (clock) => headStep(backbone.embeddingDim, options, clock),
      log,
    );
    save();
    webgpu.fineTune = await runStep(
      'webgpu fine-tuning',
      box('gpuFineTune'),
      (clock) => benchFineTune(options.modelDir, spec, photos, options.fineTune, clock),
      log,
    );
    save();
  } else {
    webgpu.skipped = 'no WebGPU backbone (see adapter and agreement)';
    for (const step of ['gpuInference', 'gpuHead', 'gpuFineTune'] as const) pending.delete(step);
  }

  const cpuReport: ProofReport = {
    inferenceBackend: CPU_INFERENCE_BACKEND,
    fineTuneBackend: CPU_FINE_TUNE_BACKEND,
  };
  report.cpu = cpuReport;
  cpuReport.inference = await runStep(
    `${CPU_INFERENCE_BACKEND} inference`,
    box('cpuInference'),
    async (clock) => {
      const backbone = await load(CPU_INFERENCE_BACKEND);
      embeddingDim = backbone.embeddingDim;
      try {
        return await benchInference(backbone, inputs, options.batches, options.maxRuns, clock);
      } finally {
        backbone.dispose();
      }
    },
    log,
  );
  save();
  cpuReport.headTraining = await runStep(
    `${CPU_INFERENCE_BACKEND} head training`,
    box('cpuHead'),
    async (clock) => {
      await selectBackend(CPU_INFERENCE_BACKEND);
      if (!embeddingDim) throw new Error('no backbone loaded, so the embedding size is unknown');
      return headStep(embeddingDim, options, clock);
    },
    log,
  );
  save();
  cpuReport.fineTune = await runStep(
    `${CPU_FINE_TUNE_BACKEND} fine-tuning`,
    box('cpuFineTune'),
    async (clock) => {
      await selectBackend(CPU_FINE_TUNE_BACKEND);
      const sizes = { ...options.fineTune, trainPhotos: options.cpuFineTunePhotos, timingOnly: true };
      return benchFineTune(options.modelDir, spec, photos, sizes, clock);
    },
    log,
  );
  save();
  log(`report written to ${jsonFile}`);
  return report;
}

async function adapterReport(options: ProofOptions) {
  const registration = await registerWebGpu({
    timeoutMs: 30_000,
    ...(options.loadWebGpuBackend ? { loadBackend: options.loadWebGpuBackend } : {}),
  });
  if (!registration.ok) return { found: false, reason: registration.reason };
  const info: WebGpuAdapterInfo = registration.adapterInfo;
  const refusal = softwareAdapterReason(info);
  return {
    found: true,
    info,
    name: describeAdapter(info),
    automaticChoice: refusal ? `refused: ${refusal}` : 'accepted (a hardware adapter)',
  };
}

function headStep(dim: number, options: ProofOptions, clock: Parameters<typeof benchHeadTraining>[2]) {
  return benchHeadTraining(
    syntheticLabels(options.headLabels, options.headBreeds, dim),
    options.headEpochs,
    clock,
  );
}

/** What the fine-tuner needs; an ensemble entry has no single embedding layer, and its members are not packed. */
function fineTuneSpecOf(config: ModelConfig) {
  const { embeddingLayer } = config as { embeddingLayer?: string };
  if (!embeddingLayer)
    throw new Error(`the model config ${config.configPath} names no embeddingLayer (an ensemble?)`);
  return { inputSize: config.inputSize, normalisation: config.normalisation, embeddingLayer };
}

async function loadBackendAndModel(
  backend: BackendName,
  config: ModelConfig,
  modelDir: string,
): Promise<Backbone> {
  await selectBackend(backend);
  if (tf.getBackend() !== (backend === 'webgpu' ? 'webgpu' : backend)) {
    throw new Error(`tfjs runs '${tf.getBackend()}', not '${backend}'`);
  }
  // One call per batch, whatever its size: the figures are per backbone call.
  return loadBackbone({
    config,
    source: modelDir,
    cacheRoot: path.join(os.tmpdir(), 'gpu-proof-cache'),
    baseDir: modelDir,
    maxBatch: 1024,
  });
}

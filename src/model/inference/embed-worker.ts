/**
 * An embedding worker thread: loads the frozen backbone itself (tfjs on the configured backend, or ONNX
 * Runtime) and answers embed requests, so inference never blocks the serving thread's event loop.
 * Started by worker-engine.ts through embed-worker.mjs; protocol in worker-protocol.ts.
 */
import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { projectRoot } from '../../config.ts';
import { selectBackend } from '../backend.ts';
import { loadBackbone, resolveBackboneFiles } from '../backbone.ts';
import { withFlipAverage, type EmbedFn } from '../embedding-transforms.ts';
import { concatenatedEmbed, type EnsembleMember } from '../ensemble.ts';
import { loadEnsembleMembers, loadModelConfig, type ModelConfig } from '../model-config.ts';
import { pretrainedSummary } from '../pretrained.ts';
import type { ModelInput } from '../types.ts';
import type { EmbedWorkerSetup, FromWorker, ToWorker } from './worker-protocol.ts';

if (!parentPort) throw new Error('embed-worker.ts must run as a worker thread (see worker-engine.ts)');
const port = parentPort;
const setup = workerData as EmbedWorkerSetup;
const cacheRoot = path.join(projectRoot, 'models', 'cache');
const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

interface LoadedEmbedder {
  backendName: string;
  embeddingDim: number;
  inputSize: number;
  embed(inputs: readonly ModelInput[]): Promise<Float32Array[]>;
  tensors(): Promise<{ numTensors: number; numBytes: number } | null>;
}

/** ONNX Runtime sessions for the entry: one network, or each member of an ensemble with its embeddings concatenated. */
async function loadOnnx(config: ModelConfig): Promise<LoadedEmbedder> {
  const { loadInt8OnnxBackbone, loadOnnxBackbone, ONNX_ENGINE } = await import('../onnx/onnx-backbone.ts');
  const threads = {
    ...(setup.onnxThreads ? { threads: setup.onnxThreads } : {}),
    ...(setup.onnxSpinning === undefined ? {} : { spinning: setup.onnxSpinning }),
  };
  let embed: EmbedFn;
  let embeddingDim: number;
  if (config.format === 'ensemble') {
    const members: EnsembleMember[] = [];
    for (const member of loadEnsembleMembers(config)) {
      const files = await resolveBackboneFiles(member, { cacheRoot, baseDir: projectRoot });
      const onnx = await loadOnnxBackbone(files.dir, member, threads);
      members.push({
        id: member.id,
        embeddingDim: onnx.embeddingDim,
        normalisation: member.normalisation,
        embed: onnx.embed,
      });
    }
    embed = concatenatedEmbed(members, config.normalisation);
    embeddingDim = members.reduce((sum, m) => sum + m.embeddingDim, 0);
  } else if (setup.onnxPrecision === 'int8') {
    if (!setup.tfliteFile) throw new Error('onnxPrecision int8 needs the .tflite file (tfliteFile)');
    const onnx = await loadInt8OnnxBackbone(setup.tfliteFile, config, threads);
    embed = onnx.embed;
    embeddingDim = onnx.embeddingDim;
  } else {
    const onnx = await loadOnnxBackbone(setup.modelDir, config, threads);
    embed = onnx.embed;
    embeddingDim = onnx.embeddingDim;
  }
  return {
    backendName: setup.onnxPrecision === 'int8' ? `${ONNX_ENGINE} int8` : ONNX_ENGINE,
    embeddingDim,
    inputSize: config.inputSize,
    embed: config.flipAverage ? withFlipAverage(embed) : embed,
    tensors: async () => null,
  };
}

async function load(): Promise<LoadedEmbedder> {
  const config = loadModelConfig(setup.modelConfigPath);
  if (setup.kind === 'onnx') return loadOnnx(config);
  const backend = await selectBackend(setup.backend);
  const backbone = await loadBackbone({
    config,
    source: setup.modelDir,
    cacheRoot,
    baseDir: projectRoot,
  });
  const tf = await import('@tensorflow/tfjs');
  return {
    backendName: backend.name,
    embeddingDim: backbone.embeddingDim,
    inputSize: config.inputSize,
    embed: (inputs) => backbone.embed(inputs),
    tensors: async () => {
      const { numTensors, numBytes } = tf.memory();
      return { numTensors, numBytes };
    },
  };
}

async function handle(embedder: LoadedEmbedder, message: ToWorker): Promise<void> {
  if (message.type === 'memory') {
    const t = await embedder.tensors();
    send({
      type: 'memory',
      id: message.id,
      numTensors: t?.numTensors ?? null,
      numBytes: t?.numBytes ?? null,
      heapUsedBytes: getHeapStatistics().used_heap_size,
    });
    return;
  }
  const { id, count, batch } = message;
  const size = embedder.inputSize;
  const pixels = size * size * 3;
  try {
    if (batch.length !== count * pixels) {
      throw new Error(`a batch of ${count} needs ${count * pixels} values, got ${batch.length}`);
    }
    const inputs = Array.from({ length: count }, (_, i) => ({
      data: batch.subarray(i * pixels, (i + 1) * pixels),
      size,
    }));
    const rows = await embedder.embed(inputs);
    const dim = embedder.embeddingDim;
    const flat = new Float32Array(count * dim);
    rows.forEach((row, i) => flat.set(row, i * dim));
    const weights = setup.pretrained;
    if (!weights) {
      send({ type: 'embedded', id, dim, embeddings: flat }, [flat.buffer]);
      return;
    }
    const summaries = new Float64Array(count * 3);
    rows.forEach((row, i) => {
      const s = pretrainedSummary(row, weights);
      summaries.set([s.dogProbability, s.bestOther, s.bestOtherProbability], i * 3);
    });
    send({ type: 'embedded', id, dim, embeddings: flat, summaries }, [flat.buffer, summaries.buffer]);
  } catch (err) {
    send({ type: 'error', id, message: (err as Error)?.message ?? String(err) });
  }
}

try {
  const embedder = await load();
  // One request at a time: a backbone call is synchronous compute, so queuing here costs nothing.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (message: ToWorker) => {
    chain = chain.then(() => handle(embedder, message));
  });
  send({
    type: 'ready',
    backendName: embedder.backendName,
    embeddingDim: embedder.embeddingDim,
    inputSize: embedder.inputSize,
  });
} catch (err) {
  send({ type: 'startup-error', message: (err as Error)?.message ?? String(err) });
  port.close();
}

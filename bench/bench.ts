/**
 * `npm run bench`: speed and memory of the serving path on real photos from ../shared, in one run.
 * Prints a table and writes bench/results.json (git-ignored).
 *
 * Stages:
 *  1. the default serving runtime (EMBED_ENGINE, auto unless set): latency at concurrency 1 and images/s at
 *     concurrency 1/8/32 (that many requests in flight, each bytes → sharp decode → micro-batched embed → head
 *     → top 5), with the main thread's event-loop delay measured meanwhile; per-stage latencies;
 *  2. a soak of BENCH_SOAK classifications (BENCH_SOAK_FULL of them full images, the rest head-only on
 *     stored embeddings) for memory growth (RSS, V8 heap, tfjs tensors in each worker);
 *  3. hot-swap: requests at concurrency 8 while the ModelHolder swaps head versions;
 *  4. the alternatives (in-process, tfjs workers x1 / x2, ONNX Runtime worker) under the same load, as ratios;
 *  5. the same load with DETECTOR=on as the bot serves it (bench/detector-load.ts): the detector's ms per photo,
 *     p50 and images/s against stage 1's (issue 12's budget: p50 at most 1.5x);
 *  6. the ONNX Runtime reference (bench/reference.ts) and head-training time for 1k/10k/50k labels.
 *
 * Settings: BENCH_IMAGES (64 photos), BENCH_REQUESTS (per concurrency level, 128), BENCH_SOAK (10000),
 * BENCH_SOAK_FULL (1000), BENCH_ALTERNATIVES (inprocess,worker1,worker2,onnx1,onnx2,onnx2-int8: ONNX Runtime with 1/2
 * threads, float graph, and the .tflite file's integer graph; '' for none),
 * BENCH_TRAINING (1000,10000,50000; '' for none), BENCH_DETECTOR=0 (no detector stage), BENCH_SERVING_ONLY=1 (stage 1 and the alternatives only:
 * a quick comparison; a key may be listed twice to interleave). Alternatives beyond the list above: onnx2-spin /
 * onnx2-nospin / onnx1-nospin (ONNX Runtime's pool threads spinning while they wait, or not), onnx1x2-spin /
 * onnx1x2-nospin (two ONNX workers of one thread each), onnx2x2-nospin, onnx2-sharp1 / onnx2-nospin-sharp1
 * (sharp.concurrency(1)), onnx2-nospin-wait0 / onnx1x2-nospin-wait0 (BATCH_WAIT_MS=0), onnx2-float / onnx1-int8
 * (ONNX_PRECISION; onnx1 / onnx2 are float).
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadConfig, projectRoot } from '../src/config.ts';
import { imageLimitsFromConfig, prepareModelInput } from '../src/images/index.ts';
import { BreedClassifier } from '../src/model/classifier.ts';
import { classifierForVersion, loadClassifierRuntime, type ClassifierRuntime } from '../src/model/index.ts';
import { saveHeadVersion } from '../src/model/registry.ts';
import { batchedEngine, type BatchedEngine } from '../src/model/inference/batched-engine.ts';
import type { EngineMemory } from '../src/model/inference/engine.ts';
import { selectEmbeddingEngine, type EmbedEngineSetting } from '../src/model/inference/select-engine.ts';
import type { OnnxPrecisionSetting } from '../src/model/onnx/onnx-precision.ts';
import type { BreedHead, ModelInput } from '../src/model/types.ts';
import { measureDetectorLoad, type DetectorLoadResult } from './detector-load.ts';
import { measureHotSwapPause, type HotSwapResult } from './hot-swap-pause.ts';
import { latency, round, runLoad, type Latency, type LoadResult } from './load.ts';
import { measureTrainingSpeed, type TrainingSpeed } from './training-speed.ts';

const photosDir = path.resolve(projectRoot, '../shared/datasets/imagewoof/val');
const resultsFile = path.join(projectRoot, 'bench/results.json');
const env = process.env;
const intSetting = (name: string, fallback: number) => Number(env[name] ?? fallback);
const listSetting = (name: string, fallback: string) =>
  (env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const CONCURRENCY = [1, 8, 32] as const;
const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

function samplePhotos(count: number): string[] {
  const all = readdirSync(photosDir)
    .sort()
    .flatMap((synset) =>
      readdirSync(path.join(photosDir, synset))
        .sort()
        .map((f) => path.join(photosDir, synset, f)),
    );
  const step = Math.max(1, Math.floor(all.length / count));
  return all.filter((_, i) => i % step === 0).slice(0, count);
}

interface ServingResult {
  name: string;
  engine: string;
  parallelism: number;
  latencyAt1: Latency;
  imagesPerSecond: Record<(typeof CONCURRENCY)[number], number>;
  eventLoopLagP99Ms: Record<(typeof CONCURRENCY)[number], number>;
  eventLoopLagMaxMsAt8: number;
  /** Share of the concurrency-8 run the serving thread was busy. */
  mainThreadUtilisationAt8: number;
  latencyAt8: Latency;
  largestBatch: number;
  meanBatch: number;
  failures: number;
}

/** Latency and throughput of one serving classifier under the bench's load pattern. */
async function measureServing(
  name: string,
  classifier: BreedClassifier,
  engine: BatchedEngine,
  decode: (i: number) => Promise<ModelInput>,
  requests: number,
  /** Called as request i's answer is out (the detector stage starts its background work here). */
  afterAnswer?: (i: number) => void,
): Promise<ServingResult> {
  // Warm-up: first backbone calls compile kernels / allocate arenas, in every worker.
  for (let i = 0; i < 2 * engine.parallelism; i++) await classifier.classify(await decode(i));
  await Promise.all(Array.from({ length: 8 }, async (_, i) => classifier.classify(await decode(i))));
  const before = engine.batchStats();
  const runs = {} as Record<(typeof CONCURRENCY)[number], LoadResult>;
  for (const c of CONCURRENCY) {
    runs[c] = await runLoad(requests, c, async (i) => {
      const answer = await classifier.classify(await decode(i));
      afterAnswer?.(i);
      return answer;
    });
  }
  const after = engine.batchStats();
  return {
    name,
    engine: engine.backendName,
    parallelism: engine.parallelism,
    latencyAt1: latency(runs[1].latenciesMs),
    latencyAt8: latency(runs[8].latenciesMs),
    imagesPerSecond: { 1: runs[1].imagesPerSecond, 8: runs[8].imagesPerSecond, 32: runs[32].imagesPerSecond },
    eventLoopLagP99Ms: {
      1: runs[1].eventLoopLagP99Ms,
      8: runs[8].eventLoopLagP99Ms,
      32: runs[32].eventLoopLagP99Ms,
    },
    eventLoopLagMaxMsAt8: runs[8].eventLoopLagMaxMs,
    mainThreadUtilisationAt8: runs[8].mainThreadUtilisation,
    largestBatch: after.largestBatch,
    meanBatch: round((after.items - before.items) / Math.max(1, after.batches - before.batches), 1),
    failures: CONCURRENCY.reduce((n, c) => n + runs[c].failures, 0),
  };
}

interface StageResult {
  decodeResize: Latency;
  embedBatch1: Latency;
  head: Latency;
}

async function measureStages(
  classifier: BreedClassifier,
  engine: BatchedEngine,
  bytes: Uint8Array[],
  decode: (b: Uint8Array) => Promise<ModelInput>,
): Promise<StageResult> {
  const decodeMs: number[] = [];
  const embedMs: number[] = [];
  const headMs: number[] = [];
  for (const b of bytes) {
    const t0 = performance.now();
    const input = await decode(b);
    const t1 = performance.now();
    const [embedding] = await engine.inner.embed([input]); // the engine itself, without the batcher's wait
    const t2 = performance.now();
    classifier.classifyEmbedding(embedding!);
    const t3 = performance.now();
    decodeMs.push(t1 - t0);
    embedMs.push(t2 - t1);
    headMs.push(t3 - t2);
  }
  return { decodeResize: latency(decodeMs), embedBatch1: latency(embedMs), head: latency(headMs) };
}

interface MemorySnapshot {
  rssMb: number;
  heapUsedMb: number;
  workers: EngineMemory[];
}

async function memorySnapshot(engine: BatchedEngine): Promise<MemorySnapshot> {
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), workers: await engine.memory() };
}

interface SoakResult {
  total: number;
  fullImages: number;
  headOnly: number;
  note: string;
  start: MemorySnapshot;
  afterFullImages: MemorySnapshot;
  end: MemorySnapshot;
  /** RSS after every 1,000 classifications. */
  rssMbTrend: number[];
  rssGrowthMb: number;
  workerTensorGrowth: number | null;
  seconds: number;
}

async function soak(
  classifier: BreedClassifier,
  engine: BatchedEngine,
  decode: (i: number) => Promise<ModelInput>,
  total: number,
  full: number,
): Promise<SoakResult> {
  const start = await memorySnapshot(engine);
  const began = performance.now();
  const trend: number[] = [];
  const embeddings: Float32Array[] = [];
  let done = 0;
  const checkpoint = () => {
    done++;
    if (done % 1000 === 0) trend.push(mb(process.memoryUsage().rss));
  };
  await runLoad(full, 8, async (i) => {
    const result = await classifier.classify(await decode(i));
    if (embeddings.length < 256) embeddings.push(result.embedding);
    checkpoint();
  });
  const afterFullImages = await memorySnapshot(engine);
  for (let i = 0; i < total - full; i++) {
    classifier.classifyEmbedding(embeddings[i % embeddings.length]!);
    checkpoint();
    if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const end = await memorySnapshot(engine);
  const tensors = (s: MemorySnapshot) =>
    s.workers.every((w) => w.numTensors !== null)
      ? s.workers.reduce((n, w) => n + (w.numTensors ?? 0), 0)
      : null;
  const startTensors = tensors(start);
  const endTensors = tensors(end);
  return {
    total,
    fullImages: full,
    headOnly: total - full,
    note:
      `${full} classifications were full images (sharp decode, worker embed, head) at concurrency 8; ` +
      `the other ${total - full} ran the head and ImageNet maths on embeddings from those (no backbone call).`,
    start,
    afterFullImages,
    end,
    rssMbTrend: trend,
    rssGrowthMb: round(end.rssMb - start.rssMb, 1),
    workerTensorGrowth: startTensors === null || endTensors === null ? null : endTensors - startTensors,
    seconds: round((performance.now() - began) / 1000, 1),
  };
}

/**
 * The same serving measurement on another backbone (BENCH_COMPARE_BACKBONE, default MobileNet v1: the backbone
 * before MobileNet-EdgeTPU became the default), so the default's cost is reported as a ratio from the same run.
 */
async function compareBackbone(config: ReturnType<typeof loadConfig>, requests: number) {
  const id = env.BENCH_COMPARE_BACKBONE ?? 'mobilenet_v1_0.75_224';
  if (!id || id === config.BACKBONE) return null;
  console.error(`bench: the same load on backbone ${id}, for ratios`);
  const { BASE_MODEL: _source, BASE_MODEL_MIRROR: _mirror, BASE_MODEL_CONFIG: _entry, ...rest } = env;
  const other = loadConfig({ ...rest, BACKBONE: id });
  const runtime = await loadClassifierRuntime(other);
  try {
    const limits = imageLimitsFromConfig(other);
    const bytes = await Promise.all(samplePhotos(intSetting('BENCH_IMAGES', 64)).map((f) => readFile(f)));
    const decode = async (i: number) =>
      (await prepareModelInput(bytes[i % bytes.length]!, runtime.imageSpec, limits)).input;
    const serving = await measureServing(id, runtime.classifier, runtime.engine, decode, requests);
    return { backbone: id, serving };
  } finally {
    await runtime.close();
  }
}

/** A second head version for the hot-swap stage: the base head, slightly perturbed. */
function perturbedHead(head: BreedHead): BreedHead {
  return {
    ...head,
    kernel: Float32Array.from(head.kernel, (v, i) => v * (1 + 0.01 * Math.sin(i))),
    bias: Float32Array.from(head.bias),
  };
}

interface AlternativeSpec {
  setting: EmbedEngineSetting;
  workers?: number;
  onnxThreads?: number;
  /** ONNX Runtime worker threads (each its own session). */
  onnxWorkers?: number;
  onnxSpinning?: boolean;
  /** libvips threads per sharp operation during this alternative (sharp.concurrency). */
  sharpThreads?: number;
  /** BATCH_WAIT_MS for this alternative (default: the serving runtime's). */
  batchWaitMs?: number;
  /** ONNX_PRECISION for this alternative (default float, whatever the serving runtime chose). */
  onnxPrecision?: OnnxPrecisionSetting;
}

const ALTERNATIVES: Record<string, AlternativeSpec> = {
  inprocess: { setting: 'inprocess' },
  worker1: { setting: 'worker', workers: 1 },
  worker2: { setting: 'worker', workers: 2 },
  onnx1: { setting: 'onnx', onnxThreads: 1 },
  onnx2: { setting: 'onnx', onnxThreads: 2 },
  'onnx2-float': { setting: 'onnx', onnxThreads: 2, onnxPrecision: 'float' },
  'onnx2-int8': { setting: 'onnx', onnxThreads: 2, onnxPrecision: 'int8' },
  'onnx1-int8': { setting: 'onnx', onnxThreads: 1, onnxPrecision: 'int8' },
  'onnx2-spin': { setting: 'onnx', onnxThreads: 2, onnxSpinning: true },
  'onnx2-nospin': { setting: 'onnx', onnxThreads: 2, onnxSpinning: false },
  'onnx1-nospin': { setting: 'onnx', onnxThreads: 1, onnxSpinning: false },
  'onnx1x2-spin': { setting: 'onnx', onnxThreads: 1, onnxWorkers: 2, onnxSpinning: true },
  'onnx1x2-nospin': { setting: 'onnx', onnxThreads: 1, onnxWorkers: 2, onnxSpinning: false },
  'onnx2-sharp1': { setting: 'onnx', onnxThreads: 2, sharpThreads: 1 },
  'onnx2-nospin-sharp1': { setting: 'onnx', onnxThreads: 2, onnxSpinning: false, sharpThreads: 1 },
  'onnx2x2-nospin': { setting: 'onnx', onnxThreads: 2, onnxWorkers: 2, onnxSpinning: false },
  'onnx2-nospin-wait0': { setting: 'onnx', onnxThreads: 2, onnxSpinning: false, batchWaitMs: 0 },
  'onnx1x2-nospin-wait0': {
    setting: 'onnx',
    onnxThreads: 1,
    onnxWorkers: 2,
    onnxSpinning: false,
    batchWaitMs: 0,
  },
};

async function measureAlternative(
  key: string,
  runtime: ClassifierRuntime,
  config: ReturnType<typeof loadConfig>,
  decode: (i: number) => Promise<ModelInput>,
  requests: number,
): Promise<ServingResult | { name: string; error: string }> {
  const spec = ALTERNATIVES[key];
  if (!spec)
    return { name: key, error: `unknown alternative (known: ${Object.keys(ALTERNATIVES).join(', ')})` };
  let engine: BatchedEngine | undefined;
  const sharpThreads = sharp.concurrency();
  if (spec.sharpThreads) sharp.concurrency(spec.sharpThreads);
  try {
    const selection = await selectEmbeddingEngine({
      setting: spec.setting,
      backbone: runtime.backbone,
      backendName: runtime.backend.name,
      modelConfigPath: config.baseModelConfigPath,
      ...(spec.workers ? { workers: spec.workers } : {}),
      ...(spec.onnxThreads ? { onnxThreads: spec.onnxThreads } : {}),
      ...(spec.onnxWorkers ? { onnxWorkers: spec.onnxWorkers } : {}),
      ...(spec.onnxSpinning === undefined ? {} : { onnxSpinning: spec.onnxSpinning }),
      ...(spec.onnxPrecision ? { onnxPrecision: spec.onnxPrecision } : {}),
    });
    engine = batchedEngine(selection.engine, {
      ...runtime.engine.batching,
      ...(spec.batchWaitMs === undefined ? {} : { maxWaitMs: spec.batchWaitMs }),
    });
    const classifier = new BreedClassifier(runtime.backbone, runtime.baseHead, runtime.baseVersion, {
      engine,
    });
    return await measureServing(key, classifier, engine, decode, requests);
  } catch (err) {
    return { name: key, error: (err as Error).message };
  } finally {
    sharp.concurrency(sharpThreads);
    await engine?.dispose();
  }
}

async function measureReferenceStage(runtime: ClassifierRuntime, inputs: ModelInput[]) {
  const modelConfig = runtime.modelConfig;
  if (modelConfig.format === 'ensemble')
    return { error: 'an ensemble is compared member by member in bench:backbones' };
  try {
    const { measureReference } = await import('./reference.ts');
    return await measureReference({
      images: inputs,
      tfjsBackbone: runtime.backbone,
      modelDir: runtime.backbone.source.dir,
      modelConfig,
    });
  } catch (err) {
    return { error: (err as Error).message };
  }
}

async function main() {
  if (!existsSync(photosDir)) {
    console.log(`bench: skipped, it needs ${path.relative(projectRoot, photosDir)} (absent)`);
    return;
  }
  const config = loadConfig();
  const requests = intSetting('BENCH_REQUESTS', 128);
  const soakTotal = intSetting('BENCH_SOAK', 10_000);
  const soakFull = Math.min(soakTotal, intSetting('BENCH_SOAK_FULL', 1000));
  const alternatives = listSetting('BENCH_ALTERNATIVES', 'inprocess,worker1,worker2,onnx1,onnx2,onnx2-int8');
  const trainingSizes = listSetting('BENCH_TRAINING', '1000,10000,50000').map(Number);

  const runtime = await loadClassifierRuntime(config);
  const { classifier, engine, imageSpec } = runtime;
  const limits = imageLimitsFromConfig(config);
  const photos = samplePhotos(intSetting('BENCH_IMAGES', 64));
  const bytes = await Promise.all(photos.map((f) => readFile(f)));
  const decodeBytes = async (b: Uint8Array) => (await prepareModelInput(b, imageSpec, limits)).input;
  const decode = (i: number) => decodeBytes(bytes[i % bytes.length]!);
  const progress = (what: string) => console.error(`bench: ${what}`);

  progress(`default engine ${engine.kind} on ${engine.backendName} (x${engine.parallelism}): load at 1/8/32`);
  const serving = await measureServing('default', classifier, engine, decode, requests);
  if (env.BENCH_SERVING_ONLY === '1') {
    // Quick comparison: the default and the alternatives under the same load, nothing else.
    const quick = [];
    for (const key of alternatives) {
      progress(`alternative ${key}`);
      quick.push(await measureAlternative(key, runtime, config, decode, requests));
    }
    console.log(
      `load average ${os
        .loadavg()
        .map((l) => round(l))
        .join(' ')}\n` + engineRows(serving, quick).join('\n'),
    );
    await runtime.close();
    return;
  }
  const stages = await measureStages(classifier, engine, bytes.slice(0, 32), decodeBytes);

  progress(`soak: ${soakTotal} classifications (${soakFull} full images)`);
  const soakResult = await soak(classifier, engine, decode, soakTotal, soakFull);

  progress('hot-swap under load');
  const swapModelsDir = await mkdtemp(path.join(os.tmpdir(), 'breedbot-bench-'));
  const saved = await saveHeadVersion(swapModelsDir, perturbedHead(runtime.baseHead), {
    parent: runtime.baseVersion,
    backboneId: runtime.backbone.id,
  });
  const hotSwap: HotSwapResult = await measureHotSwapPause({
    initial: classifier,
    // Alternates between the saved version (read from disk each time) and the base head.
    loadNext: (n) => classifierForVersion(runtime, n % 2 === 0 ? saved.version : 'base', swapModelsDir),
    requests: Math.max(300, requests * 2),
    concurrency: 8,
    swapEveryMs: 250,
    classify: async (c, i) => c.classify(await decode(i)),
  });
  await rm(swapModelsDir, { recursive: true, force: true });
  const rssMb = mb(process.memoryUsage().rss);

  const alternativeResults = [];
  for (const key of alternatives) {
    progress(`alternative ${key}`);
    alternativeResults.push(await measureAlternative(key, runtime, config, decode, requests));
  }

  let detector: DetectorLoadResult<ServingResult> | { error: string } | null = null;
  if (env.BENCH_DETECTOR !== '0') {
    progress('the same load with DETECTOR=on, as served (answer first, then the bounded detector and crops)');
    try {
      detector = await measureDetectorLoad({
        classifier,
        backend: runtime.backend.name,
        photos: bytes,
        serve: (afterAnswer) =>
          measureServing('default+detector', classifier, engine, decode, requests, afterAnswer),
      });
    } catch (err) {
      detector = { error: (err as Error).message };
    }
  }

  const compared = await compareBackbone(config, requests);

  progress('reference (ONNX Runtime vs tfjs, same process)');
  const referenceInputs = await Promise.all(bytes.slice(0, 8).map(decodeBytes));
  const reference = await measureReferenceStage(runtime, referenceInputs);

  let training: TrainingSpeed[] | { error: string } = [];
  if (trainingSizes.length) {
    progress(`head training for ${trainingSizes.join(' / ')} labels`);
    try {
      const embeddings = await engine.embed(await Promise.all(bytes.map(decodeBytes)));
      training = await measureTrainingSpeed(
        runtime.baseHead,
        runtime.backbone.id,
        runtime.baseVersion,
        embeddings,
        trainingSizes,
      );
    } catch (err) {
      training = { error: (err as Error).message };
    }
  }
  const trainingSeconds = (n: number) =>
    Array.isArray(training) ? (training.find((t) => t.labels === n)?.seconds ?? null) : null;

  // Our serving path's backbone cost per image (batch 1, no batching wait) against the reference's.
  const ourMsPerImage = stages.embedBatch1.p50Ms;
  const referenceSummary =
    'msPerImage' in reference
      ? {
          engine: reference.engine,
          msPerImage: reference.msPerImage,
          ratio: round(ourMsPerImage / reference.msPerImage),
        }
      : { engine: null, msPerImage: null, ratio: null };

  const lagAt8 = serving.eventLoopLagP99Ms[8];
  const targets = [
    {
      name: 'classify p50 (concurrency 1)',
      target: '<= 40 ms',
      measured: serving.latencyAt1.p50Ms,
      holds: serving.latencyAt1.p50Ms <= 40,
    },
    {
      name: 'images/s at concurrency 8',
      target: '>= 60',
      measured: serving.imagesPerSecond[8],
      holds: serving.imagesPerSecond[8] >= 60,
    },
    { name: 'event-loop lag p99 at concurrency 8', target: '< 20 ms', measured: lagAt8, holds: lagAt8 < 20 },
    {
      name: `memory growth over ${soakTotal} classifications`,
      target: 'none (RSS +<64 MB, worker tensors +0)',
      measured: `RSS ${soakResult.rssGrowthMb >= 0 ? '+' : ''}${soakResult.rssGrowthMb} MB, tensors ${soakResult.workerTensorGrowth ?? 'n/a'}`,
      holds: soakResult.rssGrowthMb < 64 && (soakResult.workerTensorGrowth ?? 0) === 0,
    },
    ...(detector && 'serving' in detector
      ? [
          {
            name: 'classify p50 with DETECTOR=on (issue 12)',
            target: '<= 1.5x off',
            measured: `${round(detector.serving.latencyAt1.p50Ms / serving.latencyAt1.p50Ms)}x`,
            holds: detector.serving.latencyAt1.p50Ms <= 1.5 * serving.latencyAt1.p50Ms,
          },
        ]
      : []),
    {
      name: 'head training, 10k labels x 120 breeds',
      target: '< 10 s',
      measured: trainingSeconds(10_000),
      holds: (trainingSeconds(10_000) ?? Infinity) < 10,
    },
  ];

  const results = {
    backend: engine.backendName,
    classify: {
      p50Ms: serving.latencyAt1.p50Ms,
      p95Ms: serving.latencyAt1.p95Ms,
      p99Ms: serving.latencyAt1.p99Ms,
      imagesPerSecondAt1: serving.imagesPerSecond[1],
      imagesPerSecondAt8: serving.imagesPerSecond[8],
      imagesPerSecondAt32: serving.imagesPerSecond[32],
    },
    eventLoopLagP99Ms: lagAt8,
    rssMb,
    headTraining10kSeconds: trainingSeconds(10_000),
    hotSwapMaxPauseMs: hotSwap.maxPauseMs,
    reference: referenceSummary,
    headTraining: {
      '1k': trainingSeconds(1000),
      '10k': trainingSeconds(10_000),
      '50k': trainingSeconds(50_000),
    },
    referencePipeline: {
      ourEmbedMsPerImage: ourMsPerImage,
      ourEndToEndMsPerImageAt1: serving.latencyAt1.p50Ms,
      endToEndRatio:
        'msPerImage' in reference ? round(serving.latencyAt1.p50Ms / reference.msPerImage) : null,
    },
    // Everything below is detail for people; the keys above are the stable summary.
    definitions: {
      classify:
        'end to end per request: image bytes -> sharp decode/resize -> micro-batched embed -> head -> top 5; ' +
        'latency percentiles at concurrency 1; imagesPerSecondAtN = N requests in flight at all times',
      eventLoopLagP99Ms:
        'main-thread event-loop delay p99 (perf_hooks.monitorEventLoopDelay) during the concurrency-8 load',
      rssMb: 'process RSS (main thread + workers) after the soak and hot-swap stages',
      hotSwapMaxPauseMs:
        'longest main-thread event-loop gap overlapping a ModelHolder swap (a version read from disk + swap(), every 250 ms, under concurrency-8 load): an upper bound on the extra wait of a request in flight across a swap',
      reference: 'ratio = our serving engine backbone ms/img (batch 1) / reference ms/img (batch 1)',
      headTraining:
        'seconds of one trainCandidate run (split, pseudo-examples, training, evaluation) on synthetic learnable labels over 120 breeds',
    },
    engine: {
      setting: runtime.engineSelection.setting,
      kind: engine.kind,
      parallelism: engine.parallelism,
      tfjsBackendMainThread: runtime.backend.name,
      batching: engine.batching,
      ...(runtime.engineSelection.fallbackReason
        ? { fallbackReason: runtime.engineSelection.fallbackReason }
        : {}),
      ...(runtime.engineSelection.onnxMaxAbsDiff !== undefined
        ? { onnxStartupMaxAbsDiff: runtime.engineSelection.onnxMaxAbsDiff }
        : {}),
    },
    serving,
    stages,
    soak: soakResult,
    hotSwap,
    alternatives: alternativeResults,
    detector,
    comparedBackbone: compared,
    referenceDetail: reference,
    training,
    targets,
    model: runtime.backbone.id,
    modelVersion: classifier.modelVersion,
    images: bytes.length,
    requestsPerLevel: requests,
    machine: {
      cpus: os.availableParallelism(),
      loadAverage: os.loadavg().map((l) => round(l)),
      node: process.version,
      platform: `${os.platform()}-${os.arch()}`,
    },
    measuredAt: new Date().toISOString(),
  };
  await writeFile(resultsFile, JSON.stringify(results, null, 2) + '\n');
  console.log(renderTable(results, serving, alternativeResults));
  await runtime.close();
}

/** One line per engine: latency, images/s at each concurrency, lag, and images/s at 8 as a ratio to the default. */
function engineRows(
  serving: ServingResult,
  alternatives: (ServingResult | { name: string; error: string })[],
) {
  const pad = (s: unknown, n: number) => String(s).padStart(n);
  const lines = [
    `${'engine'.padEnd(22)} ${pad('p50 ms', 8)} ${pad('img/s@1', 8)} ${pad('img/s@8', 8)} ${pad('img/s@32', 9)} ${pad('lag p99@8', 10)} ${pad('batch', 6)} ${pad('x default@8', 12)}`,
  ];
  for (const r of [serving, ...alternatives]) {
    if ('error' in r) {
      lines.push(`${r.name.padEnd(22)} unavailable: ${r.error}`);
      continue;
    }
    lines.push(
      `${`${r.name} x${r.parallelism}`.slice(0, 22).padEnd(22)} ${pad(r.latencyAt1.p50Ms.toFixed(1), 8)} ${pad(r.imagesPerSecond[1], 8)} ${pad(r.imagesPerSecond[8], 8)} ${pad(r.imagesPerSecond[32], 9)} ${pad(r.eventLoopLagP99Ms[8].toFixed(1), 10)} ${pad(r.meanBatch, 6)} ${pad((r.imagesPerSecond[8] / serving.imagesPerSecond[8]).toFixed(2), 12)}`,
    );
  }
  return lines;
}

function renderTable(
  results: {
    backend: string;
    engine: { setting: string; kind: string; parallelism: number; tfjsBackendMainThread: string };
    stages: StageResult;
    soak: SoakResult;
    hotSwap: HotSwapResult;
    rssMb: number;
    reference: { engine: string | null; msPerImage: number | null; ratio: number | null };
    referenceDetail: object;
    training: TrainingSpeed[] | { error: string };
    targets: { name: string; target: string; measured: unknown; holds: boolean }[];
    model: string;
    images: number;
    machine: { cpus: number; loadAverage: number[] };
    comparedBackbone: { backbone: string; serving: ServingResult } | null;
    detector: DetectorLoadResult<ServingResult> | { error: string } | null;
  },
  serving: ServingResult,
  alternatives: (ServingResult | { name: string; error: string })[],
): string {
  const pad = (s: unknown, n: number) => String(s).padStart(n);
  const row = (name: string, l: Latency) =>
    `${name.padEnd(26)} ${pad(l.p50Ms.toFixed(1), 8)} ${pad(l.p95Ms.toFixed(1), 8)} ${pad(l.p99Ms.toFixed(1), 8)}`;
  const lines = [
    `serving: ${results.backend} (${results.engine.kind} x${results.engine.parallelism}, EMBED_ENGINE=${results.engine.setting}; ` +
      `main-thread tfjs ${results.engine.tfjsBackendMainThread}), model ${results.model}, ${results.images} photos, ` +
      `${results.machine.cpus} cpus, load average ${results.machine.loadAverage.join(' ')}`,
    '',
    `${'per image (ms)'.padEnd(26)} ${pad('p50', 8)} ${pad('p95', 8)} ${pad('p99', 8)}`,
    row('decode + resize', results.stages.decodeResize),
    row('embed (engine, batch 1)', results.stages.embedBatch1),
    row('head + ImageNet maths', results.stages.head),
    row('classify, concurrency 1', serving.latencyAt1),
    row('classify, concurrency 8', serving.latencyAt8),
    '',
  ];
  lines.push(...engineRows(serving, alternatives));
  const ref = results.reference;
  lines.push(
    '',
    ref.msPerImage === null
      ? `reference: unavailable (${JSON.stringify(results.referenceDetail)})`
      : `reference ${ref.engine}: ${ref.msPerImage} ms/img (batch 1); ours ${results.stages.embedBatch1.p50Ms} ms/img → ratio ${ref.ratio}`,
    `soak: ${results.soak.note}`,
    `      RSS ${results.soak.start.rssMb} → ${results.soak.end.rssMb} MB (trend ${results.soak.rssMbTrend.join(', ')}), worker tensors +${results.soak.workerTensorGrowth ?? 'n/a'}`,
    `hot-swap: ${results.hotSwap.swaps} swaps under ${results.hotSwap.requests} requests at concurrency 8: max pause ${results.hotSwap.maxPauseMs} ms ` +
      `(largest loop gap at any time ${results.hotSwap.maxLoopGapMs} ms), ` +
      `swap() ≤ ${results.hotSwap.swapCallMaxMs} ms, version load ≤ ${results.hotSwap.loadVersionMaxMs} ms, version mismatches ${results.hotSwap.versionMismatches}`,
    Array.isArray(results.training)
      ? `head training (trainCandidate, 120 breeds): ${results.training.map((t) => `${t.labels} labels ${t.seconds} s (${t.epochsRun} epochs)`).join(', ')}`
      : `head training: unavailable (${results.training.error})`,
    `rss ${results.rssMb} MB`,
    detectorLine(results.detector, serving),
    results.comparedBackbone
      ? `backbone ${results.model} vs ${results.comparedBackbone.backbone} (same load, same run): p50 ` +
          `${serving.latencyAt1.p50Ms} vs ${results.comparedBackbone.serving.latencyAt1.p50Ms} ms ` +
          `(x${round(serving.latencyAt1.p50Ms / results.comparedBackbone.serving.latencyAt1.p50Ms)}), images/s at 8 ` +
          `${serving.imagesPerSecond[8]} vs ${results.comparedBackbone.serving.imagesPerSecond[8]} ` +
          `(x${round(serving.imagesPerSecond[8] / results.comparedBackbone.serving.imagesPerSecond[8])})`
      : 'backbone comparison: skipped (BENCH_COMPARE_BACKBONE is empty or the default)',
    '',
    'targets:',
    ...results.targets.map(
      (t) =>
        `  ${t.holds ? 'holds ' : 'MISSED'} ${t.name.padEnd(44)} ${t.target.padEnd(20)} measured ${String(t.measured)}`,
    ),
    `written to ${path.relative(projectRoot, resultsFile)}`,
  );
  return lines.join('\n');
}

function detectorLine(
  detector: DetectorLoadResult<ServingResult> | { error: string } | null,
  serving: ServingResult,
): string {
  if (!detector) return 'detector: skipped (BENCH_DETECTOR=0)';
  if ('error' in detector) return `detector: unavailable (${detector.error})`;
  const on = detector.serving;
  return (
    `detector (DETECTOR=on as served, same load, ${detector.engine}): ${detector.detectorMsPerPhotoP50} ms/photo alone (p50, its worker); ` +
    `classify p50 ${serving.latencyAt1.p50Ms} → ${on.latencyAt1.p50Ms} ms (x${round(on.latencyAt1.p50Ms / serving.latencyAt1.p50Ms)}), ` +
    `images/s at 8 ${serving.imagesPerSecond[8]} → ${on.imagesPerSecond[8]} (x${round(on.imagesPerSecond[8] / serving.imagesPerSecond[8])}), ` +
    `lag p99 at 8 ${on.eventLoopLagP99Ms[8]} ms; ${detector.photosSearched} photos searched for dogs, ` +
    `${detector.photosSkipped} skipped by the queue bound`
  );
}

main().catch((err) => {
  console.error(`bench failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { loadConfig, projectRoot } from '../src/config.ts';
import { headProbabilities, loadClassifierRuntime, type ClassifierRuntime } from '../src/model/index.ts';
import { BusyError } from '../src/model/inference/batcher.ts';
import { batchedEngine } from '../src/model/inference/batched-engine.ts';
import { maxAbsDifference, selectEmbeddingEngine } from '../src/model/inference/select-engine.ts';
import {
  EngineClosedError,
  startWorkerEngine,
  type WorkerEngine,
} from '../src/model/inference/worker-engine.ts';
import type { ModelInput } from '../src/model/types.ts';
import { photoToModelInput } from './helpers/model-input.ts';
import { imagewoofSample, notDogPhotos, sharedModelEnv, skipWithoutPhotos } from './helpers/shared-data.ts';

const hasOnnxRuntime = (() => {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
})();

describe('embedding engines on the real MobileNet weights', { skip: skipWithoutPhotos }, () => {
  const config = loadConfig({ ...process.env, ...sharedModelEnv });
  let runtime: ClassifierRuntime; // in-process: the reference
  let workers: WorkerEngine;
  let photos: ModelInput[];

  before(async () => {
    runtime = await loadClassifierRuntime(config, { embedEngine: 'inprocess' });
    const files = [...imagewoofSample(1).map((p) => p.file), notDogPhotos()[0]!];
    photos = await Promise.all(files.map((f) => photoToModelInput(f, runtime.imageSpec)));
    workers = await startWorkerEngine({
      kind: 'tfjs',
      workers: 2,
      backend: runtime.backend.name,
      modelConfigPath: config.baseModelConfigPath,
      modelDir: runtime.backbone.source.dir,
    });
  });
  after(async () => {
    await workers?.dispose();
    await runtime?.close();
  });

  test('the in-process runtime reports its engine', () => {
    assert.equal(runtime.engine.kind, 'inprocess');
    assert.equal(runtime.servingBackend, runtime.backend.name);
    assert.equal(runtime.classifier.engine, runtime.engine);
  });

  test('worker threads give the same embeddings as the in-process backbone (to 1e-5)', async () => {
    const reference = await runtime.backbone.embed(photos);
    const fromWorkers = await workers.embed(photos);
    assert.equal(workers.kind, 'worker');
    assert.equal(workers.backendName, runtime.backend.name);
    assert.equal(fromWorkers.length, photos.length);
    for (const e of fromWorkers) assert.equal(e.length, 768);
    const diff = maxAbsDifference(reference, fromWorkers);
    assert.ok(diff <= 1e-5, `max |worker - in-process| = ${diff}`);
    // Each embedding owns its memory (callers store embedding.buffer).
    assert.equal(fromWorkers[0]!.buffer.byteLength, 768 * 4);
    // The caller's inputs are left intact (the batch is packed and transferred, not the inputs).
    assert.equal(photos[0]!.data.length, 224 * 224 * 3);
  });

  test('the event loop keeps running while a worker embeds a large batch', async () => {
    const big = Array.from({ length: 24 }, (_, i) => photos[i % photos.length]!);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    try {
      const out = await workers.embed(big);
      assert.equal(out.length, big.length);
    } finally {
      clearInterval(timer);
    }
    // 24 MobileNet passes take hundreds of ms; a blocked loop would count ~0 ticks in that time.
    assert.ok(ticks >= 10, `only ${ticks} timer ticks ran during the embed`);
  });

  test('the batched engine merges concurrent single-image calls and isolates a bad input', async () => {
    const engine = batchedEngine(workers, { maxBatch: 8, maxWaitMs: 20, maxQueue: 64 });
    const before = engine.batchStats();
    const wrongSize: ModelInput = { data: new Float32Array(10), size: 5 };
    const settled = await Promise.allSettled([
      ...photos.slice(0, 5).map((p) => engine.embed([p])),
      engine.embed([wrongSize]),
    ]);
    const after = engine.batchStats();
    const reference = await runtime.backbone.embed(photos.slice(0, 5));
    settled.slice(0, 5).forEach((s, i) => {
      assert.equal(s.status, 'fulfilled');
      if (s.status === 'fulfilled') assert.ok(maxAbsDifference([reference[i]!], s.value) <= 1e-5);
    });
    const bad = settled[5]!;
    assert.equal(bad.status, 'rejected');
    if (bad.status === 'rejected') assert.match((bad.reason as Error).message, /5px .* takes 224px/);
    // The six calls left as one batch (then split to find the bad one), not six.
    assert.equal(after.largestBatch, 6);
    assert.ok(after.batches - before.batches < 6);
  });

  test('a bulk call larger than the queue limit still goes through, in slices', async () => {
    const engine = batchedEngine(workers, { maxBatch: 2, maxWaitMs: 1, maxQueue: 3 });
    const many = Array.from({ length: 14 }, (_, i) => photos[i % photos.length]!);
    const out = await engine.embed(many);
    assert.equal(out.length, 14);
    assert.ok(maxAbsDifference([out[13]!], await runtime.backbone.embed([many[13]!])) <= 1e-5);
    // ...while single requests beyond the limit are refused with a clear 'busy' error: two workers take
    // two batches of 2, three more wait, the rest are refused.
    const flood = Array.from({ length: 12 }, () => engine.embed([photos[0]!]));
    const settled = await Promise.allSettled(flood);
    assert.ok(settled.some((s) => s.status === 'rejected' && s.reason instanceof BusyError));
    assert.ok(settled.some((s) => s.status === 'fulfilled'));
  });

  test('worker memory stays flat across repeated batches (tfjs tensors in each worker)', async () => {
    await workers.embed(photos);
    const start = await workers.memory();
    for (let i = 0; i < 5; i++) await workers.embed(photos);
    const end = await workers.memory();
    assert.equal(start.length, 2);
    assert.deepEqual(
      end.map((m) => m.numTensors),
      start.map((m) => m.numTensors),
    );
  });

  test(
    'ONNX Runtime in a worker classifies like tfjs (probabilities to 1e-5)',
    { skip: hasOnnxRuntime ? false : 'needs the optional onnxruntime-node (not installed)' },
    async () => {
      const selection = await selectEmbeddingEngine({
        setting: 'onnx',
        backbone: runtime.backbone,
        backendName: runtime.backend.name,
        modelConfigPath: config.baseModelConfigPath,
      });
      try {
        assert.equal(selection.engine.kind, 'onnx');
        assert.equal(selection.engine.backendName, 'onnxruntime-node');
        const reference = await runtime.backbone.embed(photos);
        const onnx = await selection.engine.embed(photos);
        let probabilityDiff = 0;
        reference.forEach((e, i) => {
          const a = runtime.classifier.pretrainedProbabilities(e);
          const b = runtime.classifier.pretrainedProbabilities(onnx[i]!);
          a.forEach((v, j) => (probabilityDiff = Math.max(probabilityDiff, Math.abs(v - b[j]!))));
          const h = headProbabilities(runtime.baseHead, e);
          const k = headProbabilities(runtime.baseHead, onnx[i]!);
          h.forEach((v, j) => (probabilityDiff = Math.max(probabilityDiff, Math.abs(v - k[j]!))));
          assert.deepEqual(
            runtime.classifier.classifyEmbedding(onnx[i]!).top5.map((t) => t.breed),
            runtime.classifier.classifyEmbedding(e).top5.map((t) => t.breed),
          );
        });
        assert.ok(probabilityDiff < 1e-5, `probabilities differ by ${probabilityDiff}`);
        // Embeddings themselves agree to float32 rounding of a different summation order.
        assert.ok(maxAbsDifference(reference, onnx) < 1e-4);
      } finally {
        await selection.engine.dispose();
      }
    },
  );

  test('a runtime on worker threads classifies concurrent requests in batches, like the in-process one', async () => {
    const served = await loadClassifierRuntime(config, { embedEngine: 'worker' });
    try {
      assert.equal(served.engine.kind, 'worker');
      const results = await Promise.all(photos.map((p) => served.classifier.classify(p)));
      const expected = await runtime.classifier.classifyMany(photos);
      results.forEach((r, i) => {
        assert.deepEqual(
          r.top5.map((t) => t.breed),
          expected[i]!.top5.map((t) => t.breed),
        );
        assert.ok(Math.abs(r.top5[0]!.probability - expected[i]!.top5[0]!.probability) < 1e-5);
        // The not-a-dog verdict, computed in the worker next to the backbone, matches the main thread's.
        assert.equal(r.isDog, expected[i]!.isDog);
        assert.ok(Math.abs(r.dogProbability - expected[i]!.dogProbability) < 1e-6);
        assert.equal(r.lookslike?.label, expected[i]!.lookslike?.label);
      });
      assert.ok(
        results.some((r) => !r.isDog && r.lookslike),
        'the not-dog photo got no verdict',
      );
      assert.ok(served.engine.batchStats().batches < photos.length, 'requests were not batched');
      // A classifier for another head version keeps the same engine (hot-swap only changes the head).
      assert.equal(served.classifier.withHead(served.baseHead, 'v-test').engine, served.engine);
    } finally {
      await served.close();
    }
    await assert.rejects(served.classifier.classify(photos[0]!), /shutting down|closed/);
  });

  test('after dispose the engine refuses work with EngineClosedError', async () => {
    const engine = await startWorkerEngine({
      kind: 'tfjs',
      workers: 1,
      backend: runtime.backend.name,
      modelConfigPath: config.baseModelConfigPath,
      modelDir: runtime.backbone.source.dir,
    });
    const inFlight = engine.embed(photos);
    await engine.dispose();
    await assert.rejects(inFlight, EngineClosedError);
    await assert.rejects(engine.embed(photos), EngineClosedError);
  });
});

describe('worker threads and process exit', { skip: skipWithoutPhotos }, () => {
  const run = (script: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: projectRoot,
      env: { ...process.env, ...sharedModelEnv },
      encoding: 'utf8',
      timeout: 120_000,
    });
  const engineModule = pathToFileURL(path.join(projectRoot, 'src/model/index.ts')).href;
  const configModule = pathToFileURL(path.join(projectRoot, 'src/config.ts')).href;
  const classifyOnce = `
    import { loadClassifierRuntime } from '${engineModule}';
    import { loadConfig } from '${configModule}';
    const runtime = await loadClassifierRuntime(loadConfig(), { embedEngine: 'worker' });
    const size = runtime.imageSpec.size;
    const r = await runtime.classifier.classify({ data: new Float32Array(size * size * 3), size });
    console.log('classified', r.top5.length, runtime.engine.parallelism);
  `;

  test('a process that closes its runtime exits by itself (no dangling worker handles)', () => {
    const child = run(`${classifyOnce}\nawait runtime.close();\nconsole.log('closed');`);
    assert.equal(child.signal, null, `killed by ${child.signal} (hung?): ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /classified 5 \d/);
    assert.match(child.stdout, /closed/);
  });

  test('idle workers do not keep a process alive that forgot to close its runtime', () => {
    const child = run(classifyOnce);
    assert.equal(child.signal, null, `killed by ${child.signal} (hung?): ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /classified 5/);
  });
});

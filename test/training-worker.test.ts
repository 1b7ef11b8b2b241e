import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { listVersions } from '../src/model/registry.ts';
import type { BreedHead } from '../src/model/types.ts';
import type { TrainingInput } from '../src/training/pipeline.ts';
import { createRng } from '../src/training/prng.ts';
import { runTraining } from '../src/training/run-training.ts';
import type { EpochProgress, LabelledEmbedding } from '../src/training/types.ts';

/** Separable synthetic embeddings: each breed has its own direction (plus noise), non-negative like ReLU features. */
function syntheticInput(perBreed: number, modelsDir: string, maxEpochs = 8): TrainingInput {
  const dim = 64;
  const breeds = Array.from({ length: 12 }, (_, i) => `breed ${i}`);
  const rng = createRng(11);
  const centres = breeds.map((_, b) =>
    Float32Array.from({ length: dim }, (_, d) => (d >= b * 5 && d < b * 5 + 5 ? 3 : 0.3)),
  );
  const activeHead: BreedHead = {
    breeds,
    inputDim: dim,
    kernel: Float32Array.from({ length: dim * breeds.length }, () => (rng() - 0.5) * 0.1),
    bias: new Float32Array(breeds.length),
  };
  const labels: LabelledEmbedding[] = [];
  for (let i = 0; i < perBreed * 6; i++) {
    const b = i % 6; // half the breeds are labelled; the others must not be forgotten
    labels.push({
      imageId: `img-${i}`,
      sha256: i.toString(16).padStart(64, '0'),
      breed: breeds[b]!,
      weight: 1,
      embedding: Float32Array.from(centres[b]!, (c) => Math.max(0, c + (rng() - 0.5))),
    });
  }
  return {
    activeHead,
    activeVersion: 'base-test',
    backboneId: 'test',
    labels,
    modelsDir,
    train: { maxEpochs, patience: maxEpochs, seed: 3, learningRate: 0.01 },
    policy: { minGuardImages: 0, minGuardAgreement: 0 },
  };
}

const tmpModels = () => mkdtempSync(path.join(os.tmpdir(), 'breedbot-worker-'));

test('training runs in a worker thread, reports progress and saves the candidate version', async () => {
  const models = tmpModels();
  const progress: EpochProgress[] = [];
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5); // the main event loop keeps running meanwhile
  const result = await runTraining(syntheticInput(40, models), {
    onProgress: (p) => progress.push(p),
    backend: 'wasm',
  });
  clearInterval(timer);
  assert.ok(progress.length >= 1);
  assert.deepEqual(
    progress.map((p) => p.epoch),
    progress.map((_, i) => i + 1),
  );
  for (const p of progress) {
    assert.equal(p.epochs, 8);
    assert.ok(Number.isFinite(p.loss) && Number.isFinite(p.holdoutAccuracy) && p.etaSeconds >= 0);
  }
  assert.ok(ticks > 0);
  assert.ok(result.head.kernel instanceof Float32Array);
  assert.ok(result.metrics.candidate.top1 > 0.9, `holdout top-1 ${result.metrics.candidate.top1}`);
  assert.ok(result.version);
  const { versions } = await listVersions(models);
  assert.deepEqual(
    versions.map((v) => [v.version, v.parent]),
    [[result.version, 'base-test']],
  );
});

test('killing the worker mid-training rejects cleanly and writes nothing', async () => {
  const models = tmpModels();
  let killed = false;
  await assert.rejects(
    runTraining(syntheticInput(1500, models, 200), {
      backend: 'wasm',
      onWorker: (worker) => {
        worker.on('message', (m: { type: string }) => {
          if (m.type === 'progress' && !killed) {
            killed = true;
            void worker.terminate();
          }
        });
      },
    }),
    /worker exited/,
  );
  assert.ok(killed, 'the worker never reported progress');
  const versionsDir = path.join(models, 'versions');
  assert.deepEqual(existsSync(versionsDir) ? readdirSync(versionsDir) : [], []);
  // the next run starts clean
  const again = await runTraining(syntheticInput(20, models), { backend: 'wasm' });
  assert.deepEqual(readdirSync(versionsDir), [again.version]);
});

test('aborting through the signal stops the run', async () => {
  const models = tmpModels();
  const controller = new AbortController();
  const run = runTraining(syntheticInput(1500, models, 200), {
    backend: 'wasm',
    signal: controller.signal,
    onProgress: () => controller.abort(),
  });
  await assert.rejects(run, { name: 'AbortError' });
  assert.equal(existsSync(path.join(models, 'versions')), false);
});

test('a training failure inside the worker comes back as a readable error', async () => {
  const input = syntheticInput(5, tmpModels());
  input.labels[0]!.embedding = new Float32Array(3);
  await assert.rejects(runTraining(input, { backend: 'wasm' }), /embedding has 3 values, the head takes 64/);
});

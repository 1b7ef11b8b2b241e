/**
 * TF_BACKEND=webgpu trains: a full head training run (pseudo-examples, a new breed's rows, the joint training,
 * evaluation and the forgetting guard) runs on tfjs's WebGPU backend and agrees with the cpu backend.
 *
 * tfjs's WebGPU backend cannot read a tensor synchronously in Node (its readSync needs OffscreenCanvas), so a
 * dataSync left anywhere on the training path fails this test. The WebGPU run is a child process (this file
 * with WEBGPU_TRAIN_CHILD set) bounded by a timeout, so a bad Vulkan driver can neither hang nor crash the runner.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { projectRoot } from '../src/config.ts';
import { selectBackend, type BackendName } from '../src/model/backend.ts';
import type { BreedHead } from '../src/model/types.ts';
import { trainCandidate } from '../src/training/pipeline.ts';
import { createRng } from '../src/training/prng.ts';
import type { LabelledEmbedding } from '../src/training/types.ts';
import { webgpuMissing } from './helpers/webgpu-packages.ts';

const thisFile = fileURLToPath(import.meta.url);
// Big enough that every tensor lives on the GPU: tfjs's WebGPU backend keeps tensors under 1,000 values on the CPU.
const D = 512;
const knownBreeds = ['A', 'B', 'C', 'D', 'E', 'F'];
const newBreeds = ['G', 'H'];

/** Breed centres in a non-negative embedding space (like pooled ReLU features); one per breed, new ones included. */
function centres(): Float32Array[] {
  const rng = createRng(3);
  return [...knownBreeds, ...newBreeds].map(() =>
    Float32Array.from({ length: D }, () => (rng() < 0.5 ? 0 : rng() * 2)),
  );
}

function sample(centre: Float32Array, rng: () => number): Float32Array {
  return Float32Array.from(centre, (c) => Math.max(0, c + (rng() - 0.5) * 1.2));
}

/** A start head that knows A-F roughly (kernel columns along their centres); G and H are unknown to it. */
function startHead(c: Float32Array[]): BreedHead {
  const k = knownBreeds.length;
  const kernel = new Float32Array(D * k);
  for (let d = 0; d < D; d++) for (let j = 0; j < k; j++) kernel[d * k + j] = c[j]![d]! * 0.5;
  const bias = Float32Array.from(c.slice(0, k), (v) => -0.25 * v.reduce((s, x) => s + x * x, 0));
  return { breeds: [...knownBreeds], inputDim: D, kernel, bias };
}

/** Labels for A, B, C and the new breeds G, H (D, E, F stay unlabelled: pseudo-examples and the guard cover them). */
function labels(c: Float32Array[]): LabelledEmbedding[] {
  const rng = createRng(5);
  const labelled = [0, 1, 2, 6, 7];
  return labelled.flatMap((b) =>
    Array.from({ length: 40 }, (_, i) => ({
      imageId: `${b}-${i}`,
      sha256: (b * 1000 + i * 7919).toString(16).padStart(64, '0'),
      breed: [...knownBreeds, ...newBreeds][b]!,
      weight: 1,
      embedding: sample(c[b]!, rng),
    })),
  );
}

interface RunSummary {
  backend: string;
  kernel: number[];
  bias: number[];
  breeds: string[];
  candidateTop1: number;
  activeTop1: number;
  guardAgreement: number;
  guardCount: number;
  newBreeds: string[];
}

async function trainOn(backend: BackendName): Promise<RunSummary> {
  await selectBackend(backend);
  const c = centres();
  const rng = createRng(9);
  const references = [3, 4, 5].flatMap((b) => Array.from({ length: 10 }, () => sample(c[b]!, rng)));
  const result = await trainCandidate(
    {
      activeHead: startHead(c),
      activeVersion: 'base-test',
      backboneId: 'synthetic',
      labels: labels(c),
      referenceEmbeddings: references,
      train: { maxEpochs: 6, patience: 6 },
      policy: { minGuardImages: 0 },
    },
    { backend },
  );
  const { metrics } = result;
  return {
    backend: tf.getBackend(),
    kernel: [...result.head.kernel],
    bias: [...result.head.bias],
    breeds: result.head.breeds,
    candidateTop1: metrics.candidate.top1,
    activeTop1: metrics.active.top1,
    guardAgreement: metrics.guard.agreement,
    guardCount: metrics.guard.count,
    newBreeds: metrics.newBreeds,
  };
}

if (process.env.WEBGPU_TRAIN_CHILD) {
  const { registerWebGpu } = await import('../src/model/webgpu-backend.ts');
  const registration = await registerWebGpu({ timeoutMs: 20_000 });
  if (!registration.ok) {
    process.stdout.write(JSON.stringify({ skip: registration.reason }));
    process.exit(0);
  }
  process.stdout.write(JSON.stringify(await trainOn('webgpu')));
  process.exit(0);
}

function runChild(): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', thisFile],
      {
        cwd: projectRoot,
        env: { ...process.env, WEBGPU_TRAIN_CHILD: '1', LOG_LEVEL: 'warn' },
        timeout: 300_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`webgpu training child failed: ${err.message}\n${stderr.slice(-3000)}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

test(
  'TF_BACKEND=webgpu trains and evaluates a head (new breed, pseudo-examples, guard) and agrees with cpu',
  { skip: webgpuMissing },
  async (t) => {
    const child = await runChild();
    const gpu = JSON.parse(child.stdout) as RunSummary | { skip: string };
    if ('skip' in gpu) {
      t.skip(`no WebGPU device here: ${gpu.skip}`);
      return;
    }
    assert.equal(gpu.backend, 'webgpu');
    assert.doesNotMatch(child.stderr, /synchronously reading data/, 'a synchronous read reached the GPU');
    const cpu = await trainOn('cpu');
    assert.deepEqual(gpu.breeds, cpu.breeds);
    assert.deepEqual(gpu.newBreeds, newBreeds);
    let maxDiff = 0;
    let scale = 0;
    [...cpu.kernel, ...cpu.bias].forEach((v, i) => {
      const g = i < cpu.kernel.length ? gpu.kernel[i]! : gpu.bias[i - cpu.kernel.length]!;
      maxDiff = Math.max(maxDiff, Math.abs(g - v));
      scale = Math.max(scale, Math.abs(v));
    });
    t.diagnostic(
      `max |webgpu - cpu| weight ${maxDiff.toExponential(2)} (largest ${scale.toFixed(2)}); ` +
        `candidate top-1 ${gpu.candidateTop1} vs ${cpu.candidateTop1}, guard ${gpu.guardAgreement} vs ${cpu.guardAgreement}`,
    );
    assert.ok(maxDiff <= 1e-3 * Math.max(1, scale), `weights differ by ${maxDiff}`);
    assert.equal(gpu.candidateTop1, cpu.candidateTop1);
    assert.equal(gpu.activeTop1, cpu.activeTop1);
    assert.equal(gpu.guardCount, cpu.guardCount);
    assert.equal(gpu.guardAgreement, cpu.guardAgreement);
  },
);

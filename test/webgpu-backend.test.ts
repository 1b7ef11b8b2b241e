/**
 * TF_BACKEND=webgpu: tfjs's WebGPU backend through Dawn agrees with the cpu backend on real photos.
 *
 * Everything that touches Dawn runs in a child process (this same file with WEBGPU_CHILD set), bounded
 * by a timeout: a bad Vulkan driver can then neither hang nor crash the test runner, and the GPU handle
 * cannot keep it alive.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../src/config.ts';
import { selectBackend } from '../src/model/backend.ts';
import { loadBackbone, type Backbone } from '../src/model/backbone.ts';
import { imageSpecOf, loadModelConfig } from '../src/model/model-config.ts';
import type { WebGpuRegistration } from '../src/model/webgpu-backend.ts';
import { photoToModelInput } from './helpers/model-input.ts';
import { imagewoofSample, sharedModelDir, skipWithoutPhotos } from './helpers/shared-data.ts';
import { webgpuMissing } from './helpers/webgpu-packages.ts';

const thisFile = fileURLToPath(import.meta.url);
const modelConfigPath = path.join(projectRoot, 'models/mobilenet_v1_0.75_224.model.json');
/** A residual (DAG) backbone imported from TFLite, served the same way; its conversion is cached across runs. */
const edgeTpuConfigPath = path.join(projectRoot, 'models/mobilenet_edgetpu_224_1.0.model.json');
const edgeTpuMirror = path.resolve(projectRoot, '../shared/models/mobilenet_edgetpu_224_1.0');
const tfliteCacheRoot = path.join(os.tmpdir(), 'breedbot-webgpu-test-cache');
/** Which entry the child embeds with: WEBGPU_ENTRY=edgetpu or the default MobileNet v1. */
const childEntry = () =>
  process.env.WEBGPU_ENTRY === 'edgetpu'
    ? { configPath: edgeTpuConfigPath, source: {} }
    : { configPath: modelConfigPath, source: { source: sharedModelDir } };
const photoCount = 3;

interface ChildEmbeddings {
  backend: string;
  adapter: unknown;
  embeddings: string[];
  msPerImage: number;
}

/** Child mode: `probe` reports registerWebGpu's answer; `embed` prints webgpu embeddings of the test photos. */
async function runChild(mode: string): Promise<never> {
  const { registerWebGpu } = await import('../src/model/webgpu-backend.ts');
  if (mode === 'probe') {
    process.stdout.write(JSON.stringify(await registerWebGpu({ timeoutMs: 20_000 })));
    process.exit(0);
  }
  const tf = await import('@tensorflow/tfjs');
  const choice = await selectBackend('webgpu');
  const entry = childEntry();
  const config = loadModelConfig(entry.configPath);
  const backbone = await loadBackbone({
    config,
    ...entry.source,
    cacheRoot: tfliteCacheRoot,
    baseDir: projectRoot,
  });
  const inputs = await Promise.all(
    imagewoofSample(1)
      .slice(0, photoCount)
      .map((p) => photoToModelInput(p.file, imageSpecOf(config))),
  );
  await backbone.embed([inputs[0]!]); // compiles the shaders
  const start = performance.now();
  const embeddings = await backbone.embed(inputs);
  const msPerImage = (performance.now() - start) / inputs.length;
  const registration = await registerWebGpu();
  const result: ChildEmbeddings = {
    backend: `${choice.name}/${tf.getBackend()}`,
    adapter: registration.ok ? registration.adapterInfo : registration.reason,
    embeddings: embeddings.map((e) => Buffer.from(e.buffer, e.byteOffset, e.byteLength).toString('base64')),
    msPerImage,
  };
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

function child(mode: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', thisFile],
      {
        cwd: projectRoot,
        env: { ...process.env, ...env, WEBGPU_CHILD: mode, LOG_LEVEL: 'warn' },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`webgpu child (${mode}) failed: ${err.message}\n${stderr.slice(-2000)}`));
        else resolve(stdout);
      },
    );
  });
}

async function probe(env: NodeJS.ProcessEnv = {}): Promise<WebGpuRegistration> {
  try {
    return JSON.parse(await child('probe', 60_000, env)) as WebGpuRegistration;
  } catch (err) {
    return { ok: false, reason: (err as Error).message.split('\n')[0]! };
  }
}

const childMode = process.env.WEBGPU_CHILD;
if (childMode) await runChild(childMode);

const registration = webgpuMissing ? undefined : await probe();
const noAdapter =
  webgpuMissing ||
  (registration && !registration.ok ? `no WebGPU device here: ${registration.reason}` : false);

test(
  'without a usable Vulkan driver registration fails with a reason instead of hanging',
  { skip: webgpuMissing },
  async () => {
    // An ICD list naming no driver: the Vulkan loader finds nothing, as on a machine without Mesa 25.
    const result = await probe({ VK_ICD_FILENAMES: path.join(projectRoot, 'no-such-vulkan-icd.json') });
    assert.equal(result.ok, false);
    assert.match((result as { reason: string }).reason, /WebGPU adapter|Vulkan|requestAdapter/);
  },
);

describe('WebGPU backend on a Vulkan device', { skip: noAdapter || skipWithoutPhotos }, () => {
  let cpuBackbone: Backbone;
  before(async () => {
    await selectBackend('cpu');
    cpuBackbone = await loadBackbone({
      config: loadModelConfig(modelConfigPath),
      source: sharedModelDir,
      cacheRoot: '',
      baseDir: projectRoot,
    });
  });
  after(() => cpuBackbone?.dispose());

  test('TF_BACKEND=webgpu embeddings equal the cpu backend on real photos (max abs diff <= 1e-4)', async (t) => {
    const result = JSON.parse(await child('embed', 420_000)) as ChildEmbeddings;
    assert.equal(result.backend, 'webgpu/webgpu');
    const config = loadModelConfig(modelConfigPath);
    const inputs = await Promise.all(
      imagewoofSample(1)
        .slice(0, photoCount)
        .map((p) => photoToModelInput(p.file, imageSpecOf(config))),
    );
    const expected = await cpuBackbone.embed(inputs);
    assert.equal(result.embeddings.length, photoCount);
    let maxDiff = 0;
    result.embeddings.forEach((b64, i) => {
      const bytes = Buffer.from(b64, 'base64');
      const actual = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      assert.equal(actual.length, 768);
      actual.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - expected[i]![j]!))));
    });
    t.diagnostic(
      `adapter ${JSON.stringify(result.adapter)}; ${result.msPerImage.toFixed(0)} ms/img; max |webgpu - cpu| ${maxDiff.toExponential(2)}`,
    );
    assert.ok(maxDiff <= 1e-4, `max abs diff ${maxDiff}`);
  });

  test(
    'a residual backbone (MobileNet-EdgeTPU from TFLite) agrees with the cpu backend too',
    { skip: existsSync(edgeTpuMirror) ? false : 'needs ../shared/models/mobilenet_edgetpu_224_1.0 (absent)' },
    async (t) => {
      const result = JSON.parse(
        await child('embed', 420_000, { WEBGPU_ENTRY: 'edgetpu' }),
      ) as ChildEmbeddings;
      assert.equal(result.backend, 'webgpu/webgpu');
      const config = loadModelConfig(edgeTpuConfigPath);
      const cpu = await loadBackbone({ config, cacheRoot: tfliteCacheRoot, baseDir: projectRoot });
      try {
        const inputs = await Promise.all(
          imagewoofSample(1)
            .slice(0, photoCount)
            .map((p) => photoToModelInput(p.file, imageSpecOf(config))),
        );
        const expected = await cpu.embed(inputs);
        let maxDiff = 0;
        let scale = 1;
        result.embeddings.forEach((b64, i) => {
          const bytes = Buffer.from(b64, 'base64');
          const actual = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
          assert.equal(actual.length, 1280);
          actual.forEach((v, j) => {
            scale = Math.max(scale, Math.abs(expected[i]![j]!));
            maxDiff = Math.max(maxDiff, Math.abs(v - expected[i]![j]!));
          });
        });
        t.diagnostic(
          `EdgeTPU: ${result.msPerImage.toFixed(0)} ms/img; max |webgpu - cpu| ${maxDiff.toExponential(2)}`,
        );
        assert.ok(maxDiff <= 1e-4 * scale, `max abs diff ${maxDiff} (largest value ${scale})`);
      } finally {
        cpu.dispose();
      }
    },
  );
});

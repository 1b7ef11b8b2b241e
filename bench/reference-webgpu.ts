/**
 * Speed of the backbone on tfjs's WebGPU backend (Dawn over Vulkan), and its agreement with the wasm backend.
 *
 *   node --import tsx bench/reference-webgpu.ts [--json]
 *
 * It runs in a process of its own (Dawn's GPU handle and a slow software device should not disturb the main
 * benchmark); `measureWebGpu()` starts that process and returns its figures.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadConfig, projectRoot } from '../src/config.ts';
import { imageLimitsFromConfig, prepareModelInput } from '../src/images/index.ts';
import { imageSpecOf, loadBackbone, loadModelConfig, selectBackend } from '../src/model/index.ts';
import type { ModelInput } from '../src/model/types.ts';
import { registerWebGpu, type WebGpuAdapterInfo } from '../src/model/webgpu-backend.ts';

export type WebGpuResult =
  | {
      ok: true;
      adapter: WebGpuAdapterInfo;
      msPerImageAt1: number;
      msPerImageAt8: number;
      /** Largest |webgpu - wasm| over the embeddings of the photos. */
      maxAbsDiff: number;
    }
  | { ok: false; reason: string };

const photosDir = path.resolve(projectRoot, '../shared/datasets/imagewoof/val');

async function photos(count: number): Promise<ModelInput[]> {
  const config = loadConfig();
  const spec = imageSpecOf(loadModelConfig(config.baseModelConfigPath));
  const files = readdirSync(photosDir)
    .sort()
    .map((synset) => path.join(photosDir, synset, readdirSync(path.join(photosDir, synset)).sort()[0]!))
    .slice(0, count);
  const limits = imageLimitsFromConfig(config);
  return Promise.all(
    files.map(async (f) => (await prepareModelInput(await readFile(f), spec, limits)).input),
  );
}

async function measureHere(): Promise<WebGpuResult> {
  if (!existsSync(photosDir)) return { ok: false, reason: `needs ${photosDir} (absent)` };
  const registration = await registerWebGpu();
  if (!registration.ok) return registration;
  const config = loadConfig();
  const modelConfig = loadModelConfig(config.baseModelConfigPath);
  const images = await photos(8);
  const load = () =>
    loadBackbone({
      config: modelConfig,
      ...(config.BASE_MODEL ? { source: config.BASE_MODEL } : {}),
      cacheRoot: path.join(config.modelsDir, 'cache'),
      baseDir: projectRoot,
    });

  await selectBackend('wasm');
  const wasm = await load();
  const expected = await wasm.embed(images);
  wasm.dispose();

  await selectBackend('webgpu');
  const gpu = await load();
  await gpu.embed(images.slice(0, 1)); // shader compilation
  await gpu.embed(images); // and for batch 8
  const time = async (batch: number, rounds: number) => {
    const samples: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const start = performance.now();
      await gpu.embed(images.slice(0, batch));
      samples.push((performance.now() - start) / batch);
    }
    return Math.round(samples.sort((a, b) => a - b)[Math.floor((rounds - 1) / 2)]! * 100) / 100;
  };
  const actual = await gpu.embed(images);
  let maxAbsDiff = 0;
  actual.forEach((row, i) =>
    row.forEach((v, j) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - expected[i]![j]!)))),
  );
  const result: WebGpuResult = {
    ok: true,
    adapter: registration.adapterInfo,
    msPerImageAt1: await time(1, 5),
    msPerImageAt8: await time(8, 3),
    maxAbsDiff,
  };
  gpu.dispose();
  if (tf.getBackend() !== 'webgpu') throw new Error(`ran on ${tf.getBackend()}, not webgpu`);
  return result;
}

/** Runs the WebGPU measurement in a child process (at most `timeoutMs`); never throws. */
export function measureWebGpu(timeoutMs = 300_000): Promise<WebGpuResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--json'],
      {
        cwd: projectRoot,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        env: { ...process.env, LOG_LEVEL: 'warn' },
      },
      (err, stdout) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line) as WebGpuResult);
        } catch {
          resolve({
            ok: false,
            reason: err ? err.message.split('\n')[0]! : `unreadable output: ${line.slice(0, 200)}`,
          });
        }
      },
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await measureHere().catch((err: Error): WebGpuResult => ({
    ok: false,
    reason: err.message,
  }));
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
  else if (!result.ok) console.log(`webgpu: unavailable (${result.reason})`);
  else {
    console.log(`webgpu on ${result.adapter.description || result.adapter.device}`);
    console.log(`  batch 1: ${result.msPerImageAt1} ms/img   batch 8: ${result.msPerImageAt8} ms/img`);
    console.log(`  max |webgpu - wasm| over 8 photos: ${result.maxAbsDiff.toExponential(2)}`);
  }
  // Dawn's GPU handle may keep the event loop alive.
  process.exit(0);
}

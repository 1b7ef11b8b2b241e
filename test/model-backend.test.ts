/**
 * The tfjs backend choice. Every automatic choice runs in a child process (this file with BACKEND_CHILD set):
 * it may start Dawn, whose GPU handle would keep the test process alive, and a bad Vulkan driver could crash it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { projectRoot } from '../src/config.ts';
import { automaticOrder, selectBackend, type BackendChoice } from '../src/model/backend.ts';
import { softwareAdapterReason, type WebGpuAdapterInfo } from '../src/model/webgpu-backend.ts';

const thisFile = fileURLToPath(import.meta.url);
const CHILD_MARKER = '--- backend choice ---';

const installed = (pkg: string) => {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

/** Child mode: prints the BackendChoice of one selectBackend call and exits (Dawn may hold the process). */
async function runChild(mode: string): Promise<never> {
  const choice =
    mode === 'auto'
      ? await selectBackend()
      : mode === 'auto-software'
        ? await selectBackend(undefined, { acceptSoftwareWebGpu: true })
        : await selectBackend('webgpu');
  // Read back asynchronously: tfjs-webgpu cannot read synchronously in Node.
  const total = tf.tidy(() => tf.tensor1d([1, 2, 3]).sum());
  const sum = (await total.data())[0];
  // tfjs prints its banner on stdout too: the answer is the line after the marker.
  process.stdout.write(`\n${CHILD_MARKER}\n${JSON.stringify({ ...choice, sum })}\n`);
  process.exit(0);
}
if (process.env.BACKEND_CHILD) await runChild(process.env.BACKEND_CHILD);

function choiceInChild(mode: 'auto' | 'auto-software' | 'webgpu'): Promise<BackendChoice & { sum: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', thisFile],
      {
        cwd: projectRoot,
        env: { ...process.env, BACKEND_CHILD: mode, LOG_LEVEL: 'warn' },
        timeout: 300_000,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`backend child (${mode}) failed: ${err.message}\n${stderr.slice(-2000)}`));
        else resolve(JSON.parse(stdout.split(`${CHILD_MARKER}\n`)[1]!) as BackendChoice & { sum: number });
      },
    );
  });
}

const lavapipe: WebGpuAdapterInfo = {
  vendor: 'mesa',
  architecture: 'software',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
  isFallbackAdapter: true,
};

test('the automatic ranking: tfjs-node-gpu, a hardware WebGPU adapter, tfjs-node, wasm, cpu', () => {
  assert.deepEqual(automaticOrder(), ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
});

test('software adapters are told apart from GPUs by their adapter info', () => {
  assert.match(softwareAdapterReason(lavapipe)!, /fallback \(CPU\) adapter/);
  // The same software device from a Dawn that does not set the flag is still recognised by its names.
  assert.match(softwareAdapterReason({ ...lavapipe, isFallbackAdapter: false })!, /software rasteriser/);
  const swiftShader = {
    vendor: 'google',
    architecture: '',
    device: 'SwiftShader Device (Subzero)',
    description: 'Vulkan backend: SwiftShader',
    isFallbackAdapter: false,
  };
  assert.match(softwareAdapterReason(swiftShader)!, /swiftshader/i);
  const h200 = {
    vendor: 'nvidia',
    architecture: 'hopper',
    device: '',
    description: 'NVIDIA: 580.159.04 580.159.4.0',
    isFallbackAdapter: false,
  };
  assert.equal(softwareAdapterReason(h200), null);
});

const webgpuMissing =
  installed('webgpu') && installed('@tensorflow/tfjs-backend-webgpu')
    ? false
    : 'needs the optional packages webgpu and @tensorflow/tfjs-backend-webgpu (not installed)';

test('automatic choice: absent packages and a software WebGPU adapter are skipped with their reasons', async (t) => {
  const choice = await choiceInChild('auto');
  for (const [name, pkg] of [
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
    ['tensorflow', '@tensorflow/tfjs-node'],
  ] as const) {
    if (installed(pkg)) continue;
    const skipped = choice.skipped.find((s) => s.name === name);
    assert.ok(skipped, `${name} should be reported as skipped`);
    assert.match(skipped.reason, new RegExp(`${pkg.replace('/', '\\/')} is not installed`));
  }
  const webgpu = choice.skipped.find((s) => s.name === 'webgpu');
  t.diagnostic(`chosen ${choice.name}; webgpu: ${webgpu ? webgpu.reason : 'chosen'}`);
  if (choice.name !== 'webgpu') {
    assert.ok(webgpu, 'webgpu is reported as skipped');
    assert.ok(webgpu.reason.length > 0);
  }
  if (
    !installed('@tensorflow/tfjs-node') &&
    !installed('@tensorflow/tfjs-node-gpu') &&
    choice.name !== 'webgpu'
  ) {
    assert.equal(choice.name, 'wasm');
    assert.equal(choice.tfBackend, 'wasm');
  }
  assert.equal(choice.sum, 6);
});

// Which adapter this machine has: lavapipe in CI (Mesa 25), none where Mesa is old or absent.
const adapter = webgpuMissing
  ? undefined
  : await choiceInChild('webgpu').then(
      (c) => c.adapter,
      () => undefined,
    );
const noAdapter = webgpuMissing || (adapter ? false : 'no WebGPU adapter on this machine');
const softwareOnly =
  noAdapter ||
  (adapter && softwareAdapterReason(adapter) ? false : 'this machine has a hardware GPU adapter');

test("TF_BACKEND=webgpu runs on this machine's adapter, software or not", { skip: noAdapter }, async () => {
  const choice = await choiceInChild('webgpu');
  assert.equal(choice.name, 'webgpu');
  assert.equal(choice.tfBackend, 'webgpu');
  assert.ok(choice.adapter?.vendor !== undefined);
  assert.equal(choice.sum, 6);
});

test(
  "automatic choice refuses this machine's software adapter and says why",
  { skip: softwareOnly },
  async () => {
    const choice = await choiceInChild('auto');
    assert.notEqual(choice.name, 'webgpu');
    const webgpu = choice.skipped.find((s) => s.name === 'webgpu');
    assert.ok(webgpu, 'webgpu is reported as skipped');
    assert.match(webgpu.reason, /fallback \(CPU\) adapter|software rasteriser/);
    assert.match(webgpu.reason, new RegExp(adapter!.vendor));
  },
);

test(
  'automatic WebGPU path: once an adapter is accepted, the start-up check against cpu must pass',
  { skip: noAdapter },
  async () => {
    const choice = await choiceInChild('auto-software');
    if (installed('@tensorflow/tfjs-node-gpu')) return; // ranks first
    assert.equal(choice.name, 'webgpu');
    assert.ok(
      choice.cpuMaxAbsDiff !== undefined && choice.cpuMaxAbsDiff <= 1e-3,
      String(choice.cpuMaxAbsDiff),
    );
  },
);

test('TF_BACKEND=cpu forces the pure-JS backend; the others are reported as not chosen', async () => {
  const choice = await selectBackend('cpu');
  assert.equal(choice.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(
    choice.skipped.map((s) => s.name),
    ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm'],
  );
  const product = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
  assert.equal(product, 11);
});

test(
  'a forced backend that cannot run is an error, not a silent fallback',
  { skip: installed('@tensorflow/tfjs-node') && 'tfjs-node is installed here' },
  async () => {
    await assert.rejects(
      selectBackend('tensorflow'),
      /TF_BACKEND=tensorflow cannot be used: @tensorflow\/tfjs-node is not installed/,
    );
  },
);

test('every tfjs package resolves the same tfjs-core, so backends register with the engine we use', async () => {
  const fromRoot = createRequire(path.join(projectRoot, 'package.json'));
  const cores = new Set(
    [
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-layers',
      '@tensorflow/tfjs-converter',
    ].map((pkg) => createRequire(fromRoot.resolve(`${pkg}/package.json`)).resolve('@tensorflow/tfjs-core')),
  );
  assert.equal(cores.size, 1, [...cores].join(', '));
  await selectBackend('wasm');
  assert.ok(tf.findBackendFactory('wasm'), 'wasm registered with the engine that @tensorflow/tfjs exports');
});

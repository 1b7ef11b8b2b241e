import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { projectRoot } from '../src/config.ts';
import { selectBackend } from '../src/model/backend.ts';

const installed = (pkg: string) => {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

test('automatic choice: tfjs-node-gpu and tfjs-node are skipped with a reason when absent, then wasm runs', async () => {
  const choice = await selectBackend();
  for (const [name, pkg] of [
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
    ['tensorflow', '@tensorflow/tfjs-node'],
  ] as const) {
    if (installed(pkg)) continue;
    const skipped = choice.skipped.find((s) => s.name === name);
    assert.ok(skipped, `${name} should be reported as skipped`);
    assert.match(skipped.reason, new RegExp(`${pkg.replace('/', '\\/')} is not installed`));
  }
  if (!installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu')) {
    assert.equal(choice.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  }
  const sum = tf.tidy(() => tf.tensor1d([1, 2, 3]).sum().dataSync()[0]);
  assert.equal(sum, 6);
});

test('TF_BACKEND=cpu forces the pure-JS backend; the others are reported as not chosen', async () => {
  const choice = await selectBackend('cpu');
  assert.equal(choice.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(
    choice.skipped.map((s) => s.name),
    ['tensorflow-gpu', 'tensorflow', 'wasm'],
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

test('every tfjs package resolves the same tfjs-core, so backends register with the engine we use', () => {
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
  assert.ok(tf.findBackendFactory('wasm'), 'wasm registered with the engine that @tensorflow/tfjs exports');
});

/**
 * Issue 14 §14: TensorFlow.js's "install our node backend" notice is not printed (once per thread that used the
 * cpu backend, it was three times at start-up); breedbot's own line says once that the slow cpu engine runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { projectRoot } from '../src/config.ts';

const script = (backend: string) => `
  import * as tf from '@tensorflow/tfjs';
  import { selectBackend } from './src/model/backend.ts';
  await selectBackend('${backend}');
  tf.tidy(() => tf.ones([2, 2]).matMul(tf.ones([2, 2])).dataSync());
  tf.tidy(() => tf.tensor([1, 2, 3], undefined, 'float32').dataSync());
  await tf.setBackend('cpu');
  tf.tidy(() => tf.ones([2]).dataSync());
`;

for (const backend of ['cpu', 'wasm']) {
  test(`selecting ${backend}, then computing on it and on cpu: no tfjs notice, one breedbot line at most`, () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script(backend)],
      {
        cwd: projectRoot,
        encoding: 'utf8',
        env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
      },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr + run.stdout, /install our node backend/);
    const slowLines = run.stderr.split('\n').filter((l) => l.includes('the slowest one'));
    assert.equal(slowLines.length, backend === 'cpu' ? 1 : 0, run.stderr);
  });
}

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadConfig, projectRoot } from '../src/config.ts';
import { ortMissing, saveLayersModel } from './helpers/onnx-rig.ts';

const run = promisify(execFile);
const trace = path.join(projectRoot, 'test/helpers/onnx-session-trace.ts');

/** The session config keys ONNX Runtime printed while opening the backbone (its verbose session trace). */
async function sessionConfigKeys(dir: string, spinning: '0' | '1' | '-'): Promise<string> {
  const { stderr } = await run(
    process.execPath,
    ['--import', 'tsx', trace, dir, 'tiny', 'gap', '9', spinning],
    {
      cwd: projectRoot,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const keys = /config_options: \{([^}]*)\}/.exec(stderr);
  assert.ok(keys, `no session options in ONNX Runtime's verbose log:\n${stderr.slice(0, 2000)}`);
  return keys[1]!;
}

describe('ONNX Runtime thread-pool spinning (ONNX_SPINNING)', { skip: ortMissing }, () => {
  let dir: string;

  before(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-onnx-spin-'));
    const input = tf.input({ shape: [9, 9, 3] });
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c' }).apply(input) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(conv) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: gap });
    await saveLayersModel(model, dir);
    model.dispose();
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the backbone session gets allow_spinning 0 for both pools when spinning is off, and by default', async () => {
    for (const setting of ['0', '-'] as const) {
      const keys = await sessionConfigKeys(dir, setting);
      assert.match(keys, /session\.intra_op\.allow_spinning: 0/);
      assert.match(keys, /session\.inter_op\.allow_spinning: 0/);
    }
  });

  test('spinning on gives ONNX Runtime its own default, allow_spinning 1', async () => {
    const keys = await sessionConfigKeys(dir, '1');
    assert.match(keys, /session\.intra_op\.allow_spinning: 1/);
    assert.match(keys, /session\.inter_op\.allow_spinning: 1/);
  });

  test('ONNX_SPINNING is off unless set; 1/true turns it on', () => {
    assert.equal(loadConfig({}).ONNX_SPINNING, false);
    assert.equal(loadConfig({ ONNX_SPINNING: '1' }).ONNX_SPINNING, true);
    assert.equal(loadConfig({ ONNX_SPINNING: 'true' }).ONNX_SPINNING, true);
    assert.equal(loadConfig({ ONNX_SPINNING: '0' }).ONNX_SPINNING, false);
  });
});

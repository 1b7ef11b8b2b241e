/**
 * What a serving process's /retrain, /model rollback and /model switch reach, by deployment shape. `npm start`
 * (one process, no REDIS_URL) offers the backbone switch; it used to reach only the queued retrain and rollback,
 * so /model switch answered "This deployment cannot switch backbones from Discord." on a plain `npm start`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildRuntime, type AppRuntime } from '../src/runtime/build-runtime.ts';
import { connectServing, type ServingScale } from '../src/scale/serving.ts';
import { skipWithoutSharedModel } from './helpers/shared-data.ts';
import { tempDirConfig } from './helpers/temp-app.ts';

describe('single-process serving', { skip: skipWithoutSharedModel }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-serving-'));
  let runtime: AppRuntime;
  let serving: ServingScale;
  before(async () => {
    const config = tempDirConfig(dir, { REDIS_URL: '' });
    runtime = await buildRuntime(config, 'app');
    serving = await connectServing(config, runtime.app);
  });
  after(async () => {
    await serving?.close();
    await runtime?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('offers the backbone switch next to the queued retrain, through the loop', async () => {
    assert.equal(serving.shape, 'single-process');
    const { training } = serving;
    assert.ok(training.switchBackbone, '/model switch has something to call');
    const entries = training.backboneEntries?.() ?? [];
    assert.ok(entries.includes('mobilenet_edgetpu_224_1.0'), `the entries include the default: ${entries.join(', ')}`);
    const active = runtime.app.model.runtime.backbone.id;
    const outcome = await training.switchBackbone({ backboneId: active, requestedBy: 'moderator' });
    assert.equal(outcome.status, 'skipped');
    assert.match(outcome.reason ?? '', /already serves on backbone/);
  });
});

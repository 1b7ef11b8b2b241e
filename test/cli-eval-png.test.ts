import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { EvalReport } from '../src/cli/eval.ts';
import { runCli } from './helpers/run-cli.ts';
import { imagewoofSample, skipWithoutPhotos } from './helpers/shared-data.ts';

describe('eval --png', { skip: skipWithoutPhotos }, () => {
  let tmp: string;
  before(async () => (tmp = await mkdtemp(path.join(os.tmpdir(), 'breedbot-eval-png-'))));
  after(async () => rm(tmp, { recursive: true, force: true }));

  test('writes the run’s confusion matrix as a PNG and says what it shows', async () => {
    const dir = path.join(tmp, 'val');
    // Lookalike breeds, so the run has confusions to draw: Shih-Tzu, Beagle, English Foxhound.
    const sample = imagewoofSample(4).filter((p) =>
      ['n02086240', 'n02088364', 'n02089973'].includes(p.synset),
    );
    for (const p of sample) {
      await mkdir(path.join(dir, p.synset), { recursive: true });
      await cp(p.file, path.join(dir, p.synset, path.basename(p.file)));
    }
    const out = path.join(tmp, 'confusion.png');
    const { code, stdout, stderr } = await runCli('src/cli/eval.ts', [dir, '--json', '--png', out]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as EvalReport;
    assert.equal(report.n, 12);
    const meta = await sharp(out).metadata();
    assert.equal(meta.format, 'png');
    const written = stderr.match(/^wrote .*confusion\.png: (.*)$/m)?.[1];
    assert.ok(written, stderr);
    if (report.mostConfused.length === 0) {
      assert.match(written, /nothing to chart yet/);
    } else {
      const [actual, predicted, count] = report.mostConfused[0]!;
      assert.ok(written.includes(`${actual} → ${predicted} ${count}`), written);
      assert.ok(meta.width! > 300 && meta.height! > 300, `${meta.width}x${meta.height}`);
    }
  });
});

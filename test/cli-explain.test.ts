/** `npm run classify -- photo.jpg --explain out.png` (issue 12 §2): a heatmap PNG at the photo's own size. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import sharp from 'sharp';
import { runCli } from './helpers/run-cli.ts';
import { imagewoofValDir, skipWithoutPhotos } from './helpers/shared-data.ts';

const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10651.jpg');

describe('classify --explain', { skip: skipWithoutPhotos }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-explain-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('writes a decodable PNG of the photo size and says where the heat is', async () => {
    const out = path.join(dir, 'why.png');
    const { code, stdout, stderr } = await runCli('src/cli/classify.ts', [BEAGLE, '--explain', out]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /Beagle/);
    assert.match(
      stdout,
      /heatmap of Beagle written to .*why\.png \(\d+×\d+, most heat in the [a-z-]+ \(\d+%\)\)/,
    );
    const [heatmap, photo] = await Promise.all([sharp(out).metadata(), sharp(BEAGLE).metadata()]);
    assert.equal(heatmap.format, 'png');
    assert.deepEqual([heatmap.width, heatmap.height], [photo.width, photo.height]);
  });

  test('with --json the JSON stays alone on stdout', async () => {
    const out = path.join(dir, 'json-why.png');
    const { code, stdout, stderr } = await runCli('src/cli/classify.ts', [
      BEAGLE,
      '--json',
      '--explain',
      out,
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(JSON.parse(stdout)[0].top5[0].breed, 'Beagle');
    assert.match(stderr, /heatmap of Beagle written to/);
    assert.equal((await sharp(out).metadata()).format, 'png');
  });

  test('--explain with two photos is a usage error', async () => {
    const { code, stderr } = await runCli('src/cli/classify.ts', [BEAGLE, BEAGLE, '--explain', 'x.png']);
    assert.equal(code, 2);
    assert.match(stderr, /--explain takes exactly one photo/);
  });
});

import assert from 'node:assert/strict';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fineTunedBackboneDir, fineTunedBackboneId } from '../src/model/fine-tuned-backbone.ts';
import { readHeadFiles } from '../src/model/head-file.ts';
import { verifyModelDir } from '../src/model/model-files.ts';
import {
  baseVersionId,
  listVersions,
  loadHeadVersion,
  newVersionId,
  removeStaleTempDirs,
  saveHeadVersion,
  versionDir,
} from '../src/model/registry.ts';
import type { BreedHead } from '../src/model/types.ts';
import { createRng } from '../src/training/prng.ts';
import { sharedModelDir, skipWithoutSharedModel } from './helpers/shared-data.ts';

function randomHead(breeds: number, inputDim: number, seed: number): BreedHead {
  const rng = createRng(seed);
  const kernel = Float32Array.from({ length: inputDim * breeds }, () => (rng() - 0.5) * 3);
  kernel[0] = -0; // sign of zero, a subnormal and extremes must survive the round trip
  kernel[1] = 1e-42;
  kernel[2] = 3.4e38;
  return {
    breeds: Array.from({ length: breeds }, (_, i) => `Breed ${i} “ünïcode”`),
    inputDim,
    kernel,
    bias: Float32Array.from({ length: breeds }, () => rng() - 0.5),
  };
}

const tmpModels = () => mkdtempSync(path.join(os.tmpdir(), 'breedbot-registry-'));
const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test("a saved version loads back bit-exact, with its metadata, by id and by the model's file reader", async () => {
  const models = tmpModels();
  const head = randomHead(125, 768, 1);
  const metrics = { holdout: { top1: 0.9 }, decision: { promote: true, reasons: ['ok'] } };
  const saved = await saveHeadVersion(models, head, {
    parent: 'base-mobilenet',
    backboneId: 'mobilenet',
    metrics,
  });
  assert.match(saved.version, /^v\d{8}-\d{6}-[0-9a-f]{4}$/);
  assert.equal(saved.dir, versionDir(models, saved.version));
  assert.deepEqual(readdirSync(saved.dir).sort(), ['head.bin', 'head.json']);
  assert.equal(readFileSync(path.join(saved.dir, 'head.bin')).byteLength, (768 * 125 + 125) * 4);

  for (const loaded of [await loadHeadVersion(models, saved.version), await readHeadFiles(saved.dir)]) {
    assert.equal(loaded.version, saved.version);
    assert.equal(loaded.backboneId, 'mobilenet');
    assert.deepEqual(loaded.head.breeds, head.breeds);
    assert.equal(loaded.head.inputDim, 768);
    assert.ok(bytesOf(loaded.head.kernel).equals(bytesOf(head.kernel)), 'kernel bytes differ');
    assert.ok(bytesOf(loaded.head.bias).equals(bytesOf(head.bias)), 'bias bytes differ');
    assert.ok(Object.is(loaded.head.kernel[0], -0));
    assert.equal(loaded.metadata.parent, 'base-mobilenet');
    assert.deepEqual(loaded.metadata.metrics, metrics);
  }
  // a folder path works too
  const byDir = await loadHeadVersion(models, saved.dir);
  assert.equal(byDir.version, saved.version);
});

test('versions are listed oldest first; broken folders and unfinished temp folders are not versions', async () => {
  const models = tmpModels();
  const a = await saveHeadVersion(models, randomHead(3, 4, 2), {
    parent: null,
    backboneId: 'bb',
    createdAt: new Date('2026-11-23T19:15:00Z'),
  });
  const b = await saveHeadVersion(models, randomHead(4, 4, 3), {
    parent: a.version,
    backboneId: 'bb',
    createdAt: new Date('2026-11-24T08:00:00Z'),
  });
  assert.ok(a.version.startsWith('v20261123-191500-'));
  assert.ok(a.version < b.version);
  // a crashed save's leftovers and a corrupted version
  mkdirSync(path.join(models, 'versions', '.tmp-v20261125-000000-dead-1-abc'));
  const corrupt = path.join(models, 'versions', 'v20261126-000000-beef');
  mkdirSync(corrupt);
  writeFileSync(path.join(corrupt, 'head.json'), '{"version":"v20261126-000000-beef"');

  const { versions, broken } = await listVersions(models);
  assert.deepEqual(
    versions.map((v) => [v.version, v.parent, v.breeds]),
    [
      [a.version, null, 3],
      [b.version, a.version, 4],
    ],
  );
  assert.equal(versions[0]!.createdAt, '2026-11-23T19:15:00.000Z');
  assert.deepEqual(broken, ['v20261126-000000-beef']);

  const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
  utimesSync(path.join(models, 'versions', '.tmp-v20261125-000000-dead-1-abc'), old, old);
  assert.deepEqual(await removeStaleTempDirs(models), ['.tmp-v20261125-000000-dead-1-abc']);
});

test('the registry refuses overwrites, bad ids, the base id and bad heads with clear errors', async () => {
  const models = tmpModels();
  const head = randomHead(2, 3, 4);
  const v = newVersionId();
  await saveHeadVersion(models, head, { version: v, parent: null, backboneId: 'bb' });
  await assert.rejects(
    saveHeadVersion(models, head, { version: v, parent: null, backboneId: 'bb' }),
    /already exists/,
  );
  await assert.rejects(
    saveHeadVersion(models, head, { version: '../../etc', parent: null, backboneId: 'bb' }),
    /not a version id/,
  );
  await assert.rejects(loadHeadVersion(models, baseVersionId('bb')), /backbone's own head/);
  await assert.rejects(loadHeadVersion(models, 'v20990101-000000-abcd'), /cannot be read/);
  await assert.rejects(loadHeadVersion(models, 'nonsense'), /neither a version id nor a folder/);
  await assert.rejects(
    saveHeadVersion(models, { ...head, bias: new Float32Array(5) }, { parent: null, backboneId: 'bb' }),
  );
  // nothing half-written was left behind by the failed saves
  assert.deepEqual(readdirSync(path.join(models, 'versions')), [v]);
});

test(
  'a version saved with a backbone folder carries a complete copy; a broken folder saves nothing',
  { skip: skipWithoutSharedModel },
  async () => {
    const models = tmpModels();
    const head = randomHead(3, 768, 5);
    const plain = await saveHeadVersion(models, head, { parent: null, backboneId: 'mobilenet_v1_0.75_224' });
    const version = newVersionId(new Date(Date.now() + 1000));
    const backboneId = fineTunedBackboneId('mobilenet_v1_0.75_224', version);
    const tuned = await saveHeadVersion(models, head, {
      version,
      parent: plain.version,
      backboneId,
      backboneDir: sharedModelDir,
    });
    assert.equal(plain.fineTunedBackbone, false);
    assert.equal(tuned.fineTunedBackbone, true);
    const backboneDir = fineTunedBackboneDir(models, version);
    const manifest = verifyModelDir(backboneDir);
    const expected = ['model.json', ...manifest.weightsManifest.flatMap((g) => g.paths)];
    assert.deepEqual(readdirSync(backboneDir).sort(), expected.sort(), 'only the model, not its neighbours');
    for (const file of expected) {
      assert.ok(
        readFileSync(path.join(backboneDir, file)).equals(readFileSync(path.join(sharedModelDir, file))),
      );
    }
    assert.equal((await loadHeadVersion(models, version)).backboneId, backboneId);
    const { versions } = await listVersions(models);
    assert.deepEqual(
      versions.map((v) => [v.version, v.fineTunedBackbone]),
      [
        [plain.version, false],
        [version, true],
      ],
    );

    const partial = mkdtempSync(path.join(os.tmpdir(), 'breedbot-partial-model-'));
    cpSync(sharedModelDir, partial, { recursive: true });
    rmSync(path.join(partial, manifest.weightsManifest[3]!.paths[0]!), { force: true });
    await assert.rejects(
      saveHeadVersion(models, head, { parent: null, backboneId: 'x', backboneDir: partial }),
      /backbone to save with the version is unusable: weight file .* is missing/,
    );
    assert.deepEqual(readdirSync(path.join(models, 'versions')).sort(), [plain.version, version].sort());
    rmSync(partial, { recursive: true, force: true });
  },
);

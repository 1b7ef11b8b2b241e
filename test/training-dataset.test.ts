import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { buildDataset, splitScore } from '../src/training/dataset.ts';
import type { LabelledEmbedding } from '../src/training/types.ts';

const head = { breeds: ['beagle', 'pug', 'samoyed'], inputDim: 4 };
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const label = (id: string, breed: string): LabelledEmbedding => ({
  imageId: id,
  sha256: sha(id),
  breed,
  weight: 1,
  embedding: Float32Array.from([1, 2, 3, 4]),
});

test('the split is decided by image hash: the same image stays in the same split as labels are added', () => {
  const first = Array.from({ length: 300 }, (_, i) => label(`img${i}`, i % 2 ? 'beagle' : 'pug'));
  const later = [
    ...first,
    ...Array.from({ length: 300 }, (_, i) => label(`new${i}`, i % 2 ? 'beagle' : 'samoyed')),
  ];
  const a = buildDataset(first, head);
  const b = buildDataset(later.reverse(), head);
  const heldA = new Set(a.holdout.map((e) => e.imageId));
  const heldB = new Set(b.holdout.map((e) => e.imageId));
  for (const l of first) assert.equal(heldA.has(l.imageId), heldB.has(l.imageId), l.imageId);
  const share = a.holdout.length / first.length;
  assert.ok(share > 0.13 && share < 0.27, `holdout share ${share}`);
  for (const e of a.holdout) assert.ok(splitScore(sha(e.imageId)) < 0.2);
});

test('small breeds keep a holdout image and a training image; a single image trains', () => {
  const labels = [
    label('a', 'pug'),
    label('b', 'pug'),
    label('c', 'beagle'),
    ...['d', 'e', 'f', 'g'].map((x) => label(x, 'samoyed')),
  ];
  const d = buildDataset(labels, head, { minHoldoutPerBreed: 2 });
  const count = (list: typeof d.train, breed: string) =>
    list.filter((e) => d.breeds[e.breedIndex] === breed).length;
  assert.deepEqual([count(d.holdout, 'pug'), count(d.train, 'pug')], [1, 1]);
  assert.deepEqual([count(d.holdout, 'beagle'), count(d.train, 'beagle')], [0, 1]);
  assert.ok(count(d.holdout, 'samoyed') >= 1 && count(d.train, 'samoyed') >= 1);
});

test('new breeds become new outputs after the known ones, in a stable order', () => {
  const d = buildDataset([label('x', 'Xoloitzcuintli'), label('y', 'Azawakh'), label('z', 'pug')], head);
  assert.deepEqual(d.breeds, ['beagle', 'pug', 'samoyed', 'Azawakh', 'Xoloitzcuintli']);
  assert.deepEqual(d.newBreeds, ['Azawakh', 'Xoloitzcuintli']);
  assert.deepEqual(d.labelledBreeds, ['Azawakh', 'Xoloitzcuintli', 'pug']);
});

test('bad labels are refused with the image named', () => {
  assert.throws(
    () => buildDataset([{ ...label('w', 'pug'), embedding: new Float32Array(3) }], head),
    /image w: embedding has 3 values/,
  );
  assert.throws(
    () => buildDataset([{ ...label('n', 'pug'), embedding: Float32Array.from([1, NaN, 0, 0]) }], head),
    /NaN/,
  );
  assert.throws(() => buildDataset([{ ...label('z', 'pug'), weight: 0 }], head), /weight/);
});

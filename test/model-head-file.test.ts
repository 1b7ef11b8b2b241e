import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { HEAD_FORMAT, readHeadFiles } from '../src/model/head-file.ts';
import {
  assertHeadShape,
  denseLogits,
  headProbabilities,
  sliceHead,
  topBreeds,
  topIndices,
} from '../src/model/head-math.ts';
import type { BreedHead } from '../src/model/types.ts';

let tmp: string;
before(async () => (tmp = await mkdtemp(path.join(os.tmpdir(), 'breedbot-head-'))));
after(async () => rm(tmp, { recursive: true, force: true }));

const head: BreedHead = {
  breeds: ['A', 'B', 'C'],
  inputDim: 2,
  kernel: Float32Array.from([1, 0, -1, 0.5, 2, 0]),
  bias: Float32Array.from([0, 0.25, 0]),
};

async function writeHead(dir: string, h: BreedHead, meta: Record<string, unknown> = {}) {
  await mkdir(dir, { recursive: true });
  const json = {
    format: HEAD_FORMAT,
    version: 'v1',
    backboneId: 'bb',
    inputDim: h.inputDim,
    breeds: h.breeds,
    ...meta,
  };
  await writeFile(path.join(dir, 'head.json'), JSON.stringify(json));
  const bin = new Float32Array([...h.kernel, ...h.bias]);
  await writeFile(path.join(dir, 'head.bin'), new Uint8Array(bin.buffer));
}

test('dense maths: logits, softmax, top-k', () => {
  const x = Float32Array.from([2, 1]);
  assert.deepEqual([...denseLogits(x, head.kernel, head.bias, 2)], [2.5, 2.25, -2]);
  const p = headProbabilities(head, x);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.deepEqual(topIndices(p, 2), [0, 1]);
  assert.deepEqual(
    topBreeds(head, p, 5).map((b) => b.breed),
    ['A', 'B', 'C'],
  );
  assert.throws(
    () => denseLogits(Float32Array.from([1]), head.kernel, head.bias, 2),
    /1 values, the layer takes 2/,
  );
});

test('sliceHead keeps the chosen output columns of a bigger layer', () => {
  const sub = sliceHead(head.kernel, head.bias, 2, [2, 0], ['C', 'A']);
  assert.deepEqual([...sub.kernel], [-1, 1, 0, 0.5]);
  assert.deepEqual([...sub.bias], [0, 0]);
});

test('head shape checks catch mismatched arrays, wrong input size and duplicate names', () => {
  assert.throws(() => assertHeadShape({ ...head, bias: new Float32Array(2) }), /bias has 2 values/);
  assert.throws(() => assertHeadShape(head, 768), /2-d embeddings but the backbone makes 768-d/);
  assert.throws(() => assertHeadShape({ ...head, breeds: ['A', 'a', 'C'] }), /duplicate/);
});

test('a head version folder (head.json + head.bin) reads back exactly', async () => {
  const dir = path.join(tmp, 'ok');
  await writeHead(dir, head, { createdAt: '2026-01-01', metrics: { top1: 0.8 } });
  const loaded = await readHeadFiles(dir);
  assert.equal(loaded.version, 'v1');
  assert.equal(loaded.backboneId, 'bb');
  assert.deepEqual(loaded.head.breeds, head.breeds);
  assert.deepEqual([...loaded.head.kernel], [...head.kernel]);
  assert.deepEqual([...loaded.head.bias], [...head.bias]);
  assert.deepEqual(loaded.metadata.metrics, { top1: 0.8 });
});

test('a damaged head version gives a clear error', async () => {
  const short = path.join(tmp, 'short');
  await writeHead(short, head);
  const bin = await readFile(path.join(short, 'head.bin'));
  await writeFile(path.join(short, 'head.bin'), bin.subarray(0, 8));
  await assert.rejects(readHeadFiles(short), /head\.bin has 8 bytes, expected 36/);

  const badJson = path.join(tmp, 'badjson');
  await writeHead(badJson, head);
  await writeFile(path.join(badJson, 'head.json'), '{"version": 1}');
  await assert.rejects(readHeadFiles(badJson), /unusable: head\.json: version/);

  await assert.rejects(readHeadFiles(path.join(tmp, 'missing')), /head\.json cannot be read/);
});

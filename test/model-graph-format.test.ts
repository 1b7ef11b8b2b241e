import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { selectBackend } from '../src/model/backend.ts';
import { loadBackbone } from '../src/model/backbone.ts';
import { BreedClassifier, baseHeadOf } from '../src/model/classifier.ts';
import { loadModelConfig } from '../src/model/model-config.ts';

// A tiny hand-written TensorFlow.js graph model: embedding = mean over pixels (3-d), then a dense classifier.
const W = [1, 0, -1, 2, 0, 1, 1, -2, 0.5, 0.5, 0, 1]; // [3, 4]
const B = [0.1, 0.2, 0.3, 0.4];
const f32 = (type = 'DT_FLOAT') => ({ dtype: { type } });
const constNode = (name: string, dims: number[], dtype: string) => ({
  name,
  op: 'Const',
  attr: {
    value: { tensor: { dtype, tensorShape: { dim: dims.map((size) => ({ size: String(size) })) } } },
    dtype: { type: dtype },
  },
});
const modelJson = {
  format: 'graph-model',
  generatedBy: 'hand',
  convertedBy: 'hand',
  modelTopology: {
    node: [
      {
        name: 'input',
        op: 'Placeholder',
        attr: {
          ...f32(),
          shape: { shape: { dim: [{ size: '-1' }, { size: '2' }, { size: '2' }, { size: '3' }] } },
        },
      },
      constNode('axes', [2], 'DT_INT32'),
      {
        name: 'pool',
        op: 'Mean',
        input: ['input', 'axes'],
        attr: { keep_dims: { b: false }, T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' } },
      },
      constNode('W', [3, 4], 'DT_FLOAT'),
      constNode('b', [4], 'DT_FLOAT'),
      {
        name: 'logits',
        op: 'MatMul',
        input: ['pool', 'W'],
        attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } },
      },
      { name: 'out', op: 'BiasAdd', input: ['logits', 'b'], attr: { T: { type: 'DT_FLOAT' } } },
    ],
    versions: { producer: 1 },
  },
  weightsManifest: [
    {
      paths: ['weights.bin'],
      weights: [
        { name: 'axes', shape: [2], dtype: 'int32' },
        { name: 'W', shape: [3, 4], dtype: 'float32' },
        { name: 'b', shape: [4], dtype: 'float32' },
      ],
    },
  ],
};

let tmp: string;
before(async () => {
  await selectBackend('wasm');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'breedbot-graph-'));
  const weights = Buffer.concat([
    Buffer.from(new Int32Array([1, 2]).buffer),
    Buffer.from(new Float32Array(W).buffer),
    Buffer.from(new Float32Array(B).buffer),
  ]);
  await writeFile(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
  await writeFile(path.join(tmp, 'weights.bin'), weights);
  await writeFile(path.join(tmp, 'labels.txt'), 'tabby cat, tabby\nbeagle\nmaltese dog, Maltese\ncandle\n');
  await writeFile(
    path.join(tmp, 'tiny.model.json'),
    JSON.stringify({
      id: 'tiny_graph',
      url: 'https://example.invalid/tiny/model.json',
      format: 'graph',
      inputSize: 2,
      normalisation: { scale: 1, offset: 0 },
      resize: 'cover',
      embeddingLayer: 'pool',
      classifier: { kernelWeight: 'W', biasWeight: 'b' },
      labelsFile: 'labels.txt',
      dogClasses: { first: 1, last: 2 },
    }),
  );
});
after(async () => rm(tmp, { recursive: true, force: true }));

test('a graph model loads from a folder: embedding node, classifier weights and labels come from its config', async () => {
  const config = loadModelConfig(path.join(tmp, 'tiny.model.json'));
  const backbone = await loadBackbone({
    config,
    source: tmp,
    cacheRoot: path.join(tmp, 'cache'),
    baseDir: tmp,
  });
  assert.equal(backbone.embeddingDim, 3);
  assert.equal(backbone.classifier.classes, 4);
  assert.deepEqual([...backbone.classifier.kernel], W);
  assert.deepEqual(
    [...backbone.classifier.bias].map((x) => +x.toFixed(6)),
    B,
  );

  // Pixels (1,2,3) x 2 and (3,4,5) x 2: the mean is (2,3,4).
  const data = Float32Array.from([1, 2, 3, 1, 2, 3, 3, 4, 5, 3, 4, 5]);
  const [embedding] = await backbone.embed([{ data, size: 2 }]);
  assert.deepEqual([...embedding!], [2, 3, 4]);

  const head = baseHeadOf(backbone);
  assert.deepEqual(head.breeds, ['Beagle', 'Maltese']);
  const result = new BreedClassifier(backbone, head, 'base-tiny_graph').classifyEmbedding(embedding!);
  // Logits: [2+0+2+0.1, 0+3+2+0.2, -2+3+0+0.3, 4-6+4+0.4] = [4.1, 5.2, 1.3, 2.4]
  const logits = [4.1, 5.2, 1.3, 2.4];
  const z = logits.map((l) => Math.exp(l));
  const sum = z.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(result.dogProbability - (z[1]! + z[2]!) / sum) < 1e-5);
  assert.equal(result.isDog, true);
  assert.equal(result.top5[0]!.breed, 'Beagle');
  assert.ok(Math.abs(result.top5[0]!.probability - z[1]! / (z[1]! + z[2]!)) < 1e-5);
  backbone.dispose();
});

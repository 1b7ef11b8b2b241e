/**
 * Serving and training share one head-maths module (src/model/head-math.ts): the batched logits that training
 * evaluates with (one tfjs matMul) match the single-embedding loop that serving answers with, so a holdout
 * top-1 is what the bot would have answered on those photos.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectBackend, type BackendName } from '../src/model/backend.ts';
import { headLogits, headProbabilities, logitsMatrix, topBreeds } from '../src/model/head-math.ts';
import type { BreedHead } from '../src/model/types.ts';
import { evaluateHead } from '../src/training/evaluate.ts';
import { createRng } from '../src/training/prng.ts';

const D = 256;
const K = 40;
const rng = createRng(17);
const head: BreedHead = {
  breeds: Array.from({ length: K }, (_, j) => `breed-${j}`),
  inputDim: D,
  kernel: Float32Array.from({ length: D * K }, () => (rng() - 0.5) * 0.4),
  bias: Float32Array.from({ length: K }, () => rng() - 0.5),
};
// Non-negative and partly zero, like pooled ReLU features.
const embeddings = Array.from({ length: 600 }, () =>
  Float32Array.from({ length: D }, () => (rng() < 0.4 ? 0 : rng() * 3)),
);
const labels = embeddings.map(() => head.breeds[Math.floor(rng() * K)]!);

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  test(`${backend}: training's batched logits equal serving's loop, and holdout top-1 is serving's answer`, async () => {
    await selectBackend(backend);
    const batched = await logitsMatrix(head, embeddings, 128); // several chunks
    let maxDiff = 0;
    embeddings.forEach((e, i) => {
      const single = headLogits(head, e);
      single.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - batched[i * K + j]!))));
    });
    assert.ok(maxDiff < 1e-4, `max |batched - single| ${maxDiff}`);

    const served = embeddings.filter(
      (e, i) => topBreeds(head, headProbabilities(head, e), 1)[0]!.breed === labels[i],
    ).length;
    const metrics = await evaluateHead(
      head,
      embeddings.map((embedding, i) => ({ embedding, breed: labels[i]! })),
    );
    assert.equal(metrics.top1, served / embeddings.length);
    assert.equal(metrics.nonFinite, false);
  });
}

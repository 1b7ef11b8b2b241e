import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '../src/config.ts';
import { BreedClassifier, loadClassifierRuntime, type ClassifierRuntime } from '../src/model/index.ts';
import { fileModelHandler } from '../src/model/model-files.ts';
import type { ModelInput } from '../src/model/types.ts';
import { photoToModelInput } from './helpers/model-input.ts';
import {
  imagewoofSample,
  notDogPhotos,
  sharedModelDir,
  sharedModelEnv,
  skipWithoutPhotos,
} from './helpers/shared-data.ts';

describe('breed classifier on the real MobileNet weights', { skip: skipWithoutPhotos }, () => {
  let runtime: ClassifierRuntime;
  before(async () => {
    // The tfjs backbone on this thread, so tf.memory() sees every tensor; the worker and ONNX Runtime engines
    // are checked against it in inference-engine.test.ts.
    runtime = await loadClassifierRuntime(loadConfig({ ...process.env, ...sharedModelEnv }), {
      embedEngine: 'inprocess',
    });
  });
  after(() => runtime?.dispose());

  test('the base head is the 125 ImageNet dog classes with readable names', () => {
    const { baseHead, baseVersion, classifier } = runtime;
    assert.equal(baseHead.breeds.length, 125);
    assert.equal(baseHead.inputDim, 768);
    assert.equal(baseHead.breeds[0], 'Chihuahua');
    assert.equal(baseHead.breeds[155 - 151], 'Shih-Tzu');
    assert.equal(baseHead.breeds[273 - 151], 'Dingo');
    assert.equal(baseVersion, 'base-mobilenet_v1_0.75_224');
    assert.equal(classifier.modelVersion, baseVersion);
    assert.equal(runtime.backend.name, 'wasm');
  });

  test('embedding + classifier maths equals the original model, and the head equals its dog rows renormalised', async () => {
    const photos = [
      ...imagewoofSample(1)
        .slice(0, 3)
        .map((p) => p.file),
      notDogPhotos()[0]!,
    ];
    const inputs = await Promise.all(photos.map((f) => photoToModelInput(f, runtime.imageSpec)));
    const full = await tf.loadLayersModel(fileModelHandler(sharedModelDir));
    const size = runtime.imageSpec.size;
    const batch = new Float32Array(inputs.length * size * size * 3);
    inputs.forEach((input, i) => batch.set(input.data, i * input.data.length));
    const predicted = tf.tidy(
      () => full.predict(tf.tensor4d(batch, [inputs.length, size, size, 3])) as tf.Tensor,
    );
    const original = (await predicted.array()) as number[][];
    predicted.dispose();
    full.dispose();

    const embeddings = await runtime.classifier.embed(inputs);
    assert.equal(embeddings.length, inputs.length);
    const { first, last } = runtime.modelConfig.dogClasses;
    embeddings.forEach((embedding, i) => {
      assert.equal(embedding.length, 768);
      const ours = runtime.classifier.pretrainedProbabilities(embedding);
      const theirs = original[i]!;
      let maxDiff = 0;
      for (let c = 0; c < 1000; c++) maxDiff = Math.max(maxDiff, Math.abs(ours[c]! - theirs[c]!));
      assert.ok(maxDiff < 1e-5, `ImageNet probabilities differ by ${maxDiff} on ${photos[i]}`);

      const dogRows = theirs.slice(first, last + 1);
      const dogMass = dogRows.reduce((a, b) => a + b, 0);
      const result = runtime.classifier.classifyEmbedding(embedding);
      assert.ok(Math.abs(result.dogProbability - dogMass) < 1e-5);
      for (const { breed, probability } of result.top5) {
        const expected = dogRows[runtime.baseHead.breeds.indexOf(breed)]! / dogMass;
        assert.ok(Math.abs(probability - expected) < 1e-5, `${breed}: ${probability} vs ${expected}`);
      }
      const expectedTop = dogRows.indexOf(Math.max(...dogRows));
      assert.equal(result.top5[0]!.breed, runtime.baseHead.breeds[expectedTop]);
    });
  });

  test('imagewoof photos: the right breed is in the top 5 for a large majority, and all are dogs', async () => {
    const sample = imagewoofSample(5);
    const inputs = await Promise.all(sample.map((p) => photoToModelInput(p.file, runtime.imageSpec)));
    const results = await runtime.classifier.classifyMany(inputs);
    const synsets = runtime.backbone.classifier.labels.synsets!;
    let inTop5 = 0;
    let top1 = 0;
    results.forEach((r, i) => {
      const truth = runtime.baseHead.breeds[synsets.indexOf(sample[i]!.synset) - 151];
      assert.ok(truth, `synset ${sample[i]!.synset} is a dog class`);
      assert.equal(r.isDog, true, `${sample[i]!.file} should be a dog (dog mass ${r.dogProbability})`);
      assert.equal(r.lookslike, undefined);
      assert.equal(r.top5.length, 5);
      const sum = r.top5.reduce((a, b) => a + b.probability, 0);
      assert.ok(sum <= 1 + 1e-9 && r.top5[0]!.probability >= r.top5[4]!.probability);
      if (r.top5.some((b) => b.breed === truth)) inTop5++;
      if (r.top5[0]!.breed === truth) top1++;
    });
    assert.equal(sample.length, 50);
    assert.ok(inTop5 / sample.length >= 0.9, `top-5 ${inTop5}/${sample.length}`);
    assert.ok(top1 / sample.length >= 0.6, `top-1 ${top1}/${sample.length}`);
  });

  test('no non-dog photo is called a dog, and each says what it looks like', async () => {
    const photos = notDogPhotos();
    assert.equal(photos.length, 26);
    const inputs = await Promise.all(photos.map((f) => photoToModelInput(f, runtime.imageSpec)));
    const results = await runtime.classifier.classifyMany(inputs);
    results.forEach((r, i) => {
      assert.equal(r.isDog, false, `${photos[i]} called a dog (dog mass ${r.dogProbability.toFixed(3)})`);
      assert.ok(r.lookslike && r.lookslike.label.length > 0 && r.lookslike.probability > 0);
      assert.ok(!r.lookslike.label.includes(','), 'lookslike is the first synonym only');
    });
    const tabby = results[photos.findIndex((f) => f.endsWith('n02123045_tabby.jpg'))]!;
    assert.match(tabby.lookslike!.label, /cat/);
  });

  test('a trained head version can be swapped in without reloading the backbone', async () => {
    const [input] = await Promise.all([photoToModelInput(imagewoofSample(1)[0]!.file, runtime.imageSpec)]);
    const base = runtime.baseHead;
    // A two-breed head built from two of the base rows, as a training run might produce.
    const pick = [155 - 151, 273 - 151];
    const k = pick.length;
    const kernel = new Float32Array(base.inputDim * k);
    for (let d = 0; d < base.inputDim; d++)
      pick.forEach((p, j) => (kernel[d * k + j] = base.kernel[d * 125 + p]!));
    const head = {
      breeds: ['Shih-Tzu', 'Dingo'],
      inputDim: base.inputDim,
      kernel,
      bias: Float32Array.from(pick, (p) => base.bias[p]!),
    };
    const swapped = runtime.classifier.withHead(head, 'v-test');
    assert.equal(swapped.backbone, runtime.backbone);
    const r = await swapped.classify(input!);
    assert.equal(r.modelVersion, 'v-test');
    assert.equal(r.top5.length, 2);
    assert.ok(Math.abs(r.top5[0]!.probability + r.top5[1]!.probability - 1) < 1e-9);
    assert.throws(() => runtime.classifier.withHead({ ...head, inputDim: 10 }, 'bad'), /kernel has|768/);
  });

  test('the dog threshold is a setting (DOG_THRESHOLD) and decides the verdict', async () => {
    assert.equal(runtime.classifier.dogThreshold, 0.5);
    assert.equal(loadConfig({ DOG_THRESHOLD: '0.2' }).DOG_THRESHOLD, 0.2);
    assert.throws(() => loadConfig({ DOG_THRESHOLD: '2' }), /DOG_THRESHOLD/);
    const cat = notDogPhotos().find((f) => f.endsWith('n02123045_tabby.jpg'))!;
    const [embedding] = await runtime.classifier.embed([await photoToModelInput(cat, runtime.imageSpec)]);
    const strict = runtime.classifier.classifyEmbedding(embedding!);
    const lax = new BreedClassifier(runtime.backbone, runtime.baseHead, runtime.baseVersion, {
      dogThreshold: strict.dogProbability / 2,
    }).classifyEmbedding(embedding!);
    assert.deepEqual([strict.isDog, lax.isDog], [false, true]);
    assert.equal(lax.lookslike, undefined);
  });

  test('inputs of the wrong size are refused with a clear error', async () => {
    const wrong: ModelInput = { data: new Float32Array(10 * 10 * 3), size: 10 };
    await assert.rejects(runtime.classifier.classify(wrong), /10px.*takes 224px/);
  });

  test('tensor memory returns to its baseline after 1,000 classifications', async () => {
    const sample = imagewoofSample(3).slice(0, 25);
    const inputs = await Promise.all(sample.map((p) => photoToModelInput(p.file, runtime.imageSpec)));
    await runtime.classifier.classify(inputs[0]!); // warm-up: lazily created kernels are not leaks
    const baseline = tf.memory().numTensors;
    let classifications = 0;
    const embeddings: Float32Array[] = [];
    // 250 single-image classify() calls go through the backbone one by one ...
    for (let i = 0; i < 250; i++) {
      const r = await runtime.classifier.classify(inputs[i % inputs.length]!);
      embeddings.push(r.embedding);
      classifications++;
      if (i % 50 === 0)
        assert.equal(tf.memory().numTensors, baseline, `after ${classifications} classifications`);
    }
    // ... 250 more in batches of 25 ...
    for (let i = 0; i < 10; i++) classifications += (await runtime.classifier.classifyMany(inputs)).length;
    // ... and 500 from stored embeddings, the path retraining and re-scoring take.
    for (let i = 0; i < 500; i++) {
      runtime.classifier.classifyEmbedding(embeddings[i % embeddings.length]!);
      classifications++;
    }
    await assert.rejects(runtime.classifier.classify({ data: new Float32Array(3), size: 1 }));
    assert.equal(classifications, 1000);
    assert.equal(tf.memory().numTensors, baseline);
  });
});

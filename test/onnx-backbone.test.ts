import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { projectRoot } from '../src/config.ts';
import { selectBackend } from '../src/model/backend.ts';
import { loadBackbone, type Backbone } from '../src/model/backbone.ts';
import { BreedClassifier, baseHeadOf, baseVersionOf } from '../src/model/classifier.ts';
import { imageSpecOf, loadModelConfig } from '../src/model/model-config.ts';
import { loadOnnxBackbone } from '../src/model/onnx/onnx-backbone.ts';
import { convertLayersBackbone } from '../src/model/onnx/keras-to-onnx.ts';
import { OnnxConversionError, readLayersModel } from '../src/model/onnx/layers-model.ts';
import type { ModelInput } from '../src/model/types.ts';
import { photoToModelInput } from './helpers/model-input.ts';
import { layersConfig, ortMissing, relativeMaxDiff, saveLayersModel } from './helpers/onnx-rig.ts';
import { imagewoofSample, notDogPhotos, sharedModelDir, skipWithoutPhotos } from './helpers/shared-data.ts';

const skipReal = ortMissing || skipWithoutPhotos;
const modelConfig = loadModelConfig(path.join(projectRoot, 'models/mobilenet_v1_0.75_224.model.json'));

describe('ONNX Runtime backbone on the real MobileNet', { skip: skipReal }, () => {
  let tfjsBackbone: Backbone;
  let inputs: ModelInput[];
  let cacheDir: string;

  before(async () => {
    await selectBackend('wasm');
    cacheDir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-onnx-'));
    tfjsBackbone = await loadBackbone({
      config: modelConfig,
      source: sharedModelDir,
      cacheRoot: path.join(cacheDir, 'models'),
      baseDir: projectRoot,
    });
    const photos = [...imagewoofSample(1).map((p) => p.file), ...notDogPhotos().slice(0, 2)];
    inputs = await Promise.all(photos.map((f) => photoToModelInput(f, imageSpecOf(modelConfig))));
  });
  after(() => {
    tfjsBackbone?.dispose();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  test('embeddings equal the tfjs backbone on real photos (relative max diff <= 1e-5)', async () => {
    const onnx = await loadOnnxBackbone(sharedModelDir, modelConfig, { cacheDir });
    try {
      assert.equal(onnx.embeddingDim, 768);
      const [expected, actual] = [await tfjsBackbone.embed(inputs), await onnx.embed(inputs)];
      assert.equal(actual.length, inputs.length);
      const worst = Math.max(...expected.map((e, i) => relativeMaxDiff(e, actual[i]!)));
      assert.ok(worst <= 1e-5, `relative max diff ${worst.toExponential(2)} > 1e-5`);
      // Batching must not change an image's embedding.
      const [single] = await onnx.embed([inputs[3]!]);
      assert.ok(relativeMaxDiff(actual[3]!, single!) <= 1e-6);
    } finally {
      await onnx.dispose();
    }
  });

  test('a classifier over the ONNX embeddings gives the same top-5 breeds and dog verdicts', async () => {
    const onnx = await loadOnnxBackbone(sharedModelDir, modelConfig, { cacheDir });
    try {
      const onnxBackbone: Backbone = { ...tfjsBackbone, embed: (batch) => onnx.embed(batch) };
      const head = baseHeadOf(tfjsBackbone);
      const viaTfjs = new BreedClassifier(tfjsBackbone, head, baseVersionOf(tfjsBackbone));
      const viaOnnx = new BreedClassifier(onnxBackbone, head, baseVersionOf(tfjsBackbone));
      const [a, b] = [await viaTfjs.classifyMany(inputs), await viaOnnx.classifyMany(inputs)];
      for (let i = 0; i < inputs.length; i++) {
        assert.equal(b[i]!.isDog, a[i]!.isDog);
        assert.deepEqual(
          b[i]!.top5.map((t) => t.breed),
          a[i]!.top5.map((t) => t.breed),
        );
        assert.ok(Math.abs(b[i]!.top5[0]!.probability - a[i]!.top5[0]!.probability) < 1e-5);
      }
      // The photos are 10 dog breeds and 2 non-dogs: the verdicts are not all the same.
      assert.equal(b.filter((r) => r.isDog).length, inputs.length - 2);
    } finally {
      await onnx.dispose();
    }
  });

  test('the converted model is cached by weight hash, and a corrupt cache file is rebuilt', async () => {
    const first = await loadOnnxBackbone(sharedModelDir, modelConfig, { cacheDir });
    const file = first.onnxPath;
    await first.dispose();
    assert.ok(file.startsWith(cacheDir) && file.endsWith('.onnx'));
    const size = statSync(file).size;
    assert.ok(size > 7_000_000, `${size} bytes`); // ~1.8M float32 weights up to the pooling layer

    writeFileSync(file, 'not an onnx model');
    const rebuilt = await loadOnnxBackbone(sharedModelDir, modelConfig, { cacheDir });
    try {
      assert.equal(rebuilt.onnxPath, file);
      assert.equal(statSync(file).size, size);
      const [e] = await rebuilt.embed([inputs[0]!]);
      assert.ok(relativeMaxDiff((await tfjsBackbone.embed([inputs[0]!]))[0]!, e!) <= 1e-5);
    } finally {
      await rebuilt.dispose();
    }
  });
});

describe('keras-to-onnx converter on built models', { skip: ortMissing }, () => {
  let dir: string;
  before(async () => {
    await selectBackend('cpu');
    dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-onnx-synthetic-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('odd sizes, zero padding, valid/same strides, depth multiplier, bias, ReLU layers and batch norm match tfjs', async () => {
    const random = (min: number, max: number) =>
      tf.initializers.randomUniform({ minval: min, maxval: max, seed: 7 });
    const input = tf.input({ shape: [17, 17, 3], name: 'image' });
    let x = tf.layers
      .zeroPadding2d({
        padding: [
          [1, 2],
          [0, 1],
        ],
        name: 'pad',
      })
      .apply(input) as tf.SymbolicTensor;
    x = tf.layers
      .conv2d({
        filters: 6,
        kernelSize: 3,
        strides: 2,
        padding: 'valid',
        useBias: true,
        name: 'c1',
        biasInitializer: random(-1, 1),
      })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .batchNormalization({
        name: 'bn1',
        epsilon: 1e-3,
        gammaInitializer: random(0.5, 1.5),
        betaInitializer: random(-0.5, 0.5),
        movingMeanInitializer: random(-0.5, 0.5),
        movingVarianceInitializer: random(0.5, 2),
      })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ maxValue: 6, name: 'r1' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .depthwiseConv2d({
        kernelSize: 3,
        depthMultiplier: 2,
        strides: 2,
        padding: 'same',
        useBias: false,
        name: 'dw',
      })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.activation({ activation: 'relu', name: 'r2' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .conv2d({ filters: 5, kernelSize: 1, padding: 'same', activation: 'relu6', name: 'pw' })
      .apply(x) as tf.SymbolicTensor;
    const features = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: features });
    await saveLayersModel(model, dir);

    const images = tf.randomUniform([3, 17, 17, 3], -1, 1, 'float32', 11);
    const expected = (await (model.predict(images) as tf.Tensor).data()) as Float32Array;
    const onnx = await loadOnnxBackbone(dir, layersConfig('synthetic', dir, 'gap', 17), {
      cacheDir: path.join(dir, 'cache'),
    });
    try {
      assert.equal(onnx.embeddingDim, 5);
      const pixels = (await images.data()) as Float32Array;
      const inputs = [0, 1, 2].map((i) => ({ data: pixels.slice(i * 867, (i + 1) * 867), size: 17 }));
      const actual = await onnx.embed(inputs);
      for (let i = 0; i < 3; i++) {
        assert.ok(relativeMaxDiff(expected.slice(i * 5, (i + 1) * 5), actual[i]!) <= 1e-5);
      }
      // A cut inside the convolutions gives tfjs's NHWC order, flattened.
      const cut = await loadOnnxBackbone(dir, layersConfig('synthetic', dir, 'r2', 17), {
        cacheDir: path.join(dir, 'cache'),
      });
      const inner = tf.model({
        inputs: model.inputs,
        outputs: model.getLayer('r2').output as tf.SymbolicTensor,
      });
      const innerExpected = (await (inner.predict(images) as tf.Tensor).data()) as Float32Array;
      const [innerActual] = await cut.embed([inputs[0]!]);
      // 17x17 padded to 20x18, 3x3 valid stride 2 -> 9x8, same stride 2 -> 5x4, 6 channels x 2.
      assert.equal(innerActual!.length, 5 * 4 * 12);
      assert.ok(relativeMaxDiff(innerExpected.slice(0, 240), innerActual!) <= 1e-5);
      await cut.dispose();
    } finally {
      await onnx.dispose();
      images.dispose();
      model.dispose();
    }
  });

  test('refuses layers it does not support with OnnxConversionError naming the layer (callers keep tfjs)', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'breedbot-onnx-unsupported-'));
    try {
      const input = tf.input({ shape: [8, 8, 3], name: 'image' });
      const conv = tf.layers
        .conv2d({ filters: 4, kernelSize: 3, name: 'c' })
        .apply(input) as tf.SymbolicTensor;
      const pooled = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(conv) as tf.SymbolicTensor;
      const flat = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(pooled) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: flat });
      await saveLayersModel(model, other);
      model.dispose();

      const files = await readLayersModel(other);
      assert.throws(
        () => convertLayersBackbone(files, { outputLayer: 'gap' }),
        (err: Error) => err instanceof OnnxConversionError && /'pool' is a MaxPooling2D/.test(err.message),
      );
      assert.throws(
        () => convertLayersBackbone(files, { outputLayer: 'nope' }),
        /'nope' is not in the model/,
      );
      // A convolution alone converts (the refusal is about the layer, not the model).
      assert.ok(convertLayersBackbone(files, { outputLayer: 'c' }).onnx.byteLength > 0);

      const cache = path.join(other, 'cache');
      await assert.rejects(
        loadOnnxBackbone(other, layersConfig('synthetic', other, 'gap', 17), { cacheDir: cache }),
        (err: Error) => err instanceof OnnxConversionError && /MaxPooling2D/.test(err.message),
      );
      // Nothing half-converted is left in the cache.
      assert.ok(!existsSync(cache) || readdirSync(cache).length === 0);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

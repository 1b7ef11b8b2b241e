/** keras-to-onnx on branching (residual) graphs: the TFLite-imported MobileNets on real photos, and built DAGs. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { projectRoot } from '../src/config.ts';
import { prepareModelInput } from '../src/images/decode.ts';
import { selectBackend } from '../src/model/backend.ts';
import { ONNX_AGREEMENT_TOLERANCE } from '../src/model/inference/select-engine.ts';
import { convertLayersBackbone } from '../src/model/onnx/keras-to-onnx.ts';
import { OnnxConversionError, readLayersModel } from '../src/model/onnx/layers-model.ts';
import { loadOnnxBackbone } from '../src/model/onnx/onnx-backbone.ts';
import { embeddingLayerName, importTflite, type TfliteImport } from '../src/model/tflite/index.ts';
import type { ModelInput } from '../src/model/types.ts';
import { layersConfig, ortMissing, relativeMaxDiff, saveLayersModel } from './helpers/onnx-rig.ts';
import { imagewoofSample, imagewoofValDir } from './helpers/shared-data.ts';

const sharedModels = path.resolve(projectRoot, '../shared/models');
const tfliteModels = {
  'mobilenet_edgetpu_224_1.0': 'mobilenet_edgetpu_224_1.0/mobilenet_edgetpu_224_1.0_uint8.tflite',
  'mobilenet_v2_1.0_224_quant': 'mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite',
};
const skipReal =
  ortMissing ||
  (Object.values(tfliteModels).every((f) => existsSync(path.join(sharedModels, f))) &&
  existsSync(imagewoofValDir)
    ? false
    : 'needs ../shared/models (the two MobileNet .tflite files) and ../shared/datasets/imagewoof/val (absent)');

/** tfjs's embedding: the imported model run up to `embedding_pool`, flattened per image. */
function tfjsEmbeddings(imported: TfliteImport, inputs: ModelInput[]): Float32Array[] {
  const cut = tf.model({
    inputs: imported.model.inputs,
    outputs: imported.model.getLayer(embeddingLayerName).output as tf.SymbolicTensor,
  });
  return tf.tidy(() => {
    const size = inputs[0]!.size;
    const batch = tf.stack(inputs.map((i) => tf.tensor3d(i.data, [size, size, 3])));
    const flat = (cut.predict(batch) as tf.Tensor).reshape([inputs.length, -1]);
    return (flat.arraySync() as number[][]).map((row) => Float32Array.from(row));
  });
}

describe(
  'ONNX Runtime backbone on the TFLite-imported MobileNets (residual graphs)',
  { skip: skipReal },
  () => {
    let work: string;
    let photos: string[];
    before(async () => {
      await selectBackend('wasm');
      work = mkdtempSync(path.join(os.tmpdir(), 'breedbot-onnx-dag-'));
      // One photo of each of 3 breeds keeps the two 224x224 networks quick on 2 cores.
      photos = imagewoofSample(1)
        .slice(0, 3)
        .map((p) => p.file);
    });
    after(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    for (const [id, file] of Object.entries(tfliteModels)) {
      test(`${id}: ONNX embeddings of real photos equal tfjs's within ${ONNX_AGREEMENT_TOLERANCE} relative`, async (t) => {
        const imported = await importTflite({
          file: path.join(sharedModels, file),
          cacheDir: path.join(work, 'tflite', id),
        });
        const { scale, zeroPoint } = imported.source.input;
        const spec = { size: 224, scale, offset: -zeroPoint * scale };
        const inputs = await Promise.all(
          photos.map(
            async (photo) => (await prepareModelInput(new Uint8Array(readFileSync(photo)), spec)).input,
          ),
        );
        const onnx = await loadOnnxBackbone(imported.dir, layersConfig(id, work, embeddingLayerName, 224), {
          cacheDir: path.join(work, 'onnx'),
        });
        try {
          assert.equal(onnx.embeddingDim, imported.source.embeddingDim);
          const expected = tfjsEmbeddings(imported, inputs);
          const actual = await onnx.embed(inputs);
          const worst = Math.max(...expected.map((e, i) => relativeMaxDiff(e, actual[i]!)));
          t.diagnostic(`${id}: ${inputs.length} photos, relative max diff ${worst.toExponential(2)}`);
          assert.ok(worst <= ONNX_AGREEMENT_TOLERANCE, `relative max diff ${worst.toExponential(2)}`);
          // Real photos give distinct embeddings (a graph that ignored its input would agree on a constant).
          assert.ok(relativeMaxDiff(actual[0]!, actual[1]!) > 1e-2);
        } finally {
          await onnx.dispose();
          imported.model.dispose();
        }
      });
    }
  },
);

const apply = (layer: tf.layers.Layer, ...inputs: tf.SymbolicTensor[]) =>
  layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tf.SymbolicTensor;

describe('keras-to-onnx on built residual graphs', { skip: ortMissing }, () => {
  let dir: string;
  before(async () => {
    await selectBackend('cpu');
    dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-onnx-dag-built-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('residual Adds, a tensor read twice, same-padding stride 2 on even sizes, average pooling and reshape match tfjs', async () => {
    const random = (seed: number) => tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed });
    const input = tf.input({ shape: [16, 16, 3], name: 'image' });
    // 16 -> 8 with 'same' and stride 2: TensorFlow pads 0 before and 1 after (asymmetric).
    const stem = apply(
      tf.layers.conv2d({
        filters: 8,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu6',
        name: 'stem',
      }),
      input,
    );
    // 'expand' is linear and read by both its ReLU and the Add: the ReLU must not be fused into it.
    const expand = apply(
      tf.layers.conv2d({ filters: 8, kernelSize: 1, name: 'expand', biasInitializer: random(1) }),
      stem,
    );
    const relu = apply(tf.layers.activation({ activation: 'relu6', name: 'expand_relu6' }), expand);
    const dw = apply(
      tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw', biasInitializer: random(2) }),
      relu,
    );
    const project = apply(tf.layers.conv2d({ filters: 8, kernelSize: 1, name: 'project' }), dw);
    const add1 = apply(tf.layers.add({ name: 'add1' }), stem, project);
    const add2 = apply(tf.layers.add({ name: 'add2' }), add1, expand);
    const down = apply(
      tf.layers.depthwiseConv2d({
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
        name: 'down',
      }),
      add2,
    );
    const poolSame = apply(
      tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'pool_same' }),
      down,
    );
    const pool = apply(tf.layers.averagePooling2d({ poolSize: 4, padding: 'valid', name: 'pool' }), poolSame);
    const flat = apply(tf.layers.reshape({ targetShape: [8], name: 'flat' }), pool);
    const model = tf.model({ inputs: input, outputs: flat });
    await saveLayersModel(model, dir);

    const images = tf.randomUniform([3, 16, 16, 3], -1, 1, 'float32', 5);
    const onnx = await loadOnnxBackbone(dir, layersConfig('dag', dir, 'flat', 16), {
      cacheDir: path.join(dir, 'cache'),
    });
    try {
      const pixels = (await images.data()) as Float32Array;
      const inputs = [0, 1, 2].map((i) => ({ data: pixels.slice(i * 768, (i + 1) * 768), size: 16 }));
      const expected = (await (model.predict(images) as tf.Tensor).data()) as Float32Array;
      const actual = await onnx.embed(inputs);
      assert.equal(onnx.embeddingDim, 8);
      for (let i = 0; i < 3; i++) {
        const diff = relativeMaxDiff(expected.slice(i * 8, (i + 1) * 8), actual[i]!);
        assert.ok(diff <= 1e-5, `image ${i}: relative max diff ${diff.toExponential(2)}`);
      }
      // A cut at the Add inside the graph returns tfjs's NHWC order, flattened.
      const files = await readLayersModel(dir);
      const cut = convertLayersBackbone(files, { outputLayer: 'add2' });
      assert.equal(cut.embeddingDim, 8 * 8 * 8);
    } finally {
      await onnx.dispose();
      images.dispose();
      model.dispose();
    }
  });

  test('a residual graph with an unsupported layer is refused naming the layer and its class', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'breedbot-onnx-dag-unsupported-'));
    try {
      const input = tf.input({ shape: [8, 8, 3], name: 'image' });
      const a = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'a' }), input);
      const b = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'b' }), input);
      const merged = apply(tf.layers.multiply({ name: 'gate' }), a, b);
      const sum = apply(tf.layers.add({ name: 'sum' }), merged, a);
      const wide = apply(tf.layers.reshape({ targetShape: [4, 16, 4], name: 'wide' }), sum);
      const model = tf.model({ inputs: input, outputs: [sum, wide] });
      await saveLayersModel(model, other);
      model.dispose();

      const files = await readLayersModel(other);
      assert.throws(
        () => convertLayersBackbone(files, { outputLayer: 'sum' }),
        (err: Error) =>
          err instanceof OnnxConversionError &&
          /layer 'gate' is a Multiply; the ONNX converter supports .*Add/.test(err.message),
      );
      assert.throws(
        () => convertLayersBackbone(files, { outputLayer: 'wide' }),
        (err: Error) => err instanceof OnnxConversionError && /'gate' is a Multiply/.test(err.message),
      );
      // The branches alone convert: the refusal is about the layer, not the graph's shape.
      assert.ok(convertLayersBackbone(files, { outputLayer: 'b' }).onnx.byteLength > 0);
      await assert.rejects(
        loadOnnxBackbone(other, layersConfig('gated', other, 'sum', 8), {
          cacheDir: path.join(other, 'cache'),
        }),
        (err: Error) => err instanceof OnnxConversionError && /'gate' is a Multiply/.test(err.message),
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('a reshape to anything but [features] is refused', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'breedbot-onnx-dag-reshape-'));
    try {
      const input = tf.input({ shape: [4, 4, 2], name: 'image' });
      const conv = apply(tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }), input);
      const skip = apply(tf.layers.add({ name: 'skip' }), conv, input);
      const wide = apply(tf.layers.reshape({ targetShape: [2, 16], name: 'wide' }), skip);
      const model = tf.model({ inputs: input, outputs: wide });
      await saveLayersModel(model, other);
      model.dispose();
      const files = await readLayersModel(other);
      assert.throws(
        () => convertLayersBackbone(files, { outputLayer: 'wide' }),
        (err: Error) => err instanceof OnnxConversionError && /'wide' reshapes to \[2,16\]/.test(err.message),
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

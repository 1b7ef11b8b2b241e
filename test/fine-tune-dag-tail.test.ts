/**
 * The second stage on a residual (DAG) backbone: MobileNet-EdgeTPU, the default, imported from its TFLite file in
 * ../shared. Only the single chain after its last Add can be unfrozen; that tail is rebuilt from tfjs ops,
 * reproduces the served embeddings, trains, and saves as a backbone that embeds as the trained one did.
 * Runs on tfjs's cpu backend with a handful of photos: the mechanics, not the speed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectRoot } from '../src/config.ts';
import { prepareModelInput } from '../src/images/decode.ts';
import { selectBackend } from '../src/model/backend.ts';
import { loadBackbone, type Backbone } from '../src/model/backbone.ts';
import { baseHeadOf } from '../src/model/classifier.ts';
import { maxAbsDifference } from '../src/model/inference/select-engine.ts';
import { loadModelConfig, loadNetworkConfig, type NetworkConfig } from '../src/model/model-config.ts';
import { readLayersModel } from '../src/model/onnx/layers-model.ts';
import type { BreedHead } from '../src/model/types.ts';
import { buildDataset } from '../src/training/dataset.ts';
import { BackboneFineTuner } from '../src/training/fine-tune/backbone-fine-tuner.ts';
import { runSecondStage } from '../src/training/fine-tune/second-stage.ts';
import { splitTop } from '../src/training/fine-tune/top-split.ts';
import { skipWithoutTrainPhotos, trainPhotos } from './helpers/shared-data.ts';
import { shihTzuThenRidgeback } from './helpers/fine-tune-examples.ts';

const CONFIG_PATH = path.join(projectRoot, 'models/mobilenet_edgetpu_224_1.0.model.json');
const MIRROR = path.resolve(projectRoot, '../shared/models/mobilenet_edgetpu_224_1.0');
const skip =
  skipWithoutTrainPhotos ||
  (existsSync(MIRROR) ? false : 'needs ../shared/models/mobilenet_edgetpu_224_1.0 (absent)');
/** The tail after the last Add: 1x1 expansion, 3x3 depthwise, 1x1 projection, 1x1 to 1280, 7x7 average pool. */
const TAIL = ['conv_2d_69', 'depthwise_conv_2d_70', 'conv_2d_71', 'conv_2d_72', 'embedding_pool'];
const TAIL_WEIGHTS = TAIL.slice(0, 4).flatMap((l) => [
  `${l}/${l.startsWith('depthwise') ? 'depthwise_kernel' : 'kernel'}`,
  `${l}/bias`,
]);

test('an ensemble is still refused by the second stage, with its reason', async () => {
  const config = loadModelConfig(path.join(projectRoot, 'models/ensemble_edgetpu_v2.model.json'));
  const head: BreedHead = {
    breeds: ['A'],
    inputDim: 2,
    kernel: new Float32Array(2),
    bias: new Float32Array(1),
  };
  const outcome = await runSecondStage({
    input: { modelDir: '', modelConfig: config, images: {}, references: [] },
    backend: 'webgpu',
    dataset: buildDataset([], head),
    activeHead: head,
    headOnly: head,
    trainedBreeds: [],
    policy: { minGuardAgreement: 0.9, minGuardImages: 0 },
  });
  assert.equal(outcome.report.ran, false);
  assert.match(outcome.report.reason, /is an ensemble \(.+ \+ .+\); the second stage fine-tunes one network/);
});

describe('fine-tuning the tail of a residual backbone (MobileNet-EdgeTPU)', { skip }, () => {
  let config: NetworkConfig;
  let base: Backbone;
  let head: BreedHead;
  const cacheRoot = mkdtempSync(path.join(os.tmpdir(), 'breedbot-dag-tail-'));

  async function decoded(file: string) {
    const { scale, offset } = config.normalisation;
    return (await prepareModelInput(readFileSync(file), { size: config.inputSize, scale, offset })).input;
  }
  async function pixelsOf(file: string): Promise<Uint8Array> {
    const { scale, offset } = config.normalisation;
    return Uint8Array.from((await decoded(file)).data, (x) => Math.round((x - offset) / scale));
  }

  before(async () => {
    await selectBackend('cpu'); // wasm has no Conv2DBackpropFilter
    config = loadNetworkConfig(CONFIG_PATH);
    base = await loadBackbone({ config, cacheRoot, baseDir: projectRoot });
    head = baseHeadOf(base);
  });
  after(() => {
    base?.dispose();
    rmSync(cacheRoot, { recursive: true, force: true });
  });

  test('the top is the chain after the last Add, whole when it has fewer blocks than asked', async () => {
    const files = await readLayersModel(base.source.dir);
    for (const blocks of [1, 2, 5]) {
      const split = splitTop(files, config.embeddingLayer, blocks);
      assert.equal(split.cutLayer, blocks === 1 ? 'conv_2d_69' : 'add_68', `blocks ${blocks}`);
      assert.deepEqual(
        split.layers.map((l) => l.name),
        blocks === 1 ? TAIL.slice(1) : TAIL,
      );
      assert.equal(split.blocks, 1);
    }
  });

  test('the rebuilt tail reproduces the backbone, trains, and the saved backbone embeds as the trained one did', async () => {
    const tuner = await BackboneFineTuner.open(base.source.dir, config, 2);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'breedbot-dag-tuned-'));
    try {
      assert.deepEqual([...tuner.top.variables.keys()], TAIL_WEIGHTS);
      const files = [...trainPhotos('n02086240', 0, 2), ...trainPhotos('n02087394', 0, 2)];
      const pixels = await Promise.all(files.map(pixelsOf));
      const inputs = await Promise.all(files.map(decoded));
      const reference = await base.embed(inputs);
      const initial = await tuner.embed(pixels, 'initial');
      assert.equal(initial[0]!.length, 1280);
      const scale = Math.max(1, ...reference.flatMap((e) => [...e].map(Math.abs)));
      assert.ok(
        maxAbsDifference(initial, reference) < 1e-4 * scale,
        'the rebuilt tail gives the served embedding',
      );

      const train = shihTzuThenRidgeback(head, pixels);
      assert.ok(train.every((e) => e.breedIndex >= 0));
      // No holdout: the last epoch's weights are kept, so the test does not depend on one epoch helping.
      const run = await tuner.train(head, train, [], { maxEpochs: 1, batchSize: 4, learningRate: 1e-3 });
      assert.equal(run.bestEpoch, 1);

      await tuner.save(tmp);
      const [original, saved] = [await readLayersModel(base.source.dir), await readLayersModel(tmp)];
      assert.deepEqual([...saved.weights.keys()], [...original.weights.keys()]);
      const changed = [...saved.weights]
        .filter(([name, w]) => w.data.some((v, i) => v !== original.weights.get(name)!.data[i]))
        .map(([name]) => name);
      assert.deepEqual(changed.sort(), [...TAIL_WEIGHTS].sort(), 'only the tail was trained');

      const trained = await tuner.embed(pixels.slice(0, 2));
      const reloaded = await loadBackbone({
        config: { ...config, id: 'fine-tuned-edgetpu-test' },
        source: tmp,
        cacheRoot,
        baseDir: projectRoot,
      });
      try {
        const fromDisk = await reloaded.embed(inputs.slice(0, 2));
        assert.ok(
          maxAbsDifference(fromDisk, trained) < 1e-4 * scale,
          'the saved model embeds like the trained tail',
        );
        assert.ok(maxAbsDifference(fromDisk, reference.slice(0, 2)) > 1e-3, 'and differently from the base');
      } finally {
        reloaded.dispose();
      }
    } finally {
      tuner.dispose();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

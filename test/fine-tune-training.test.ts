/**
 * The optional second training stage (FINE_TUNE_BACKBONE): the backbone's last blocks trained on real photos.
 * It is meant for GPU backends; here it runs on tfjs's cpu backend (the only one on this machine with
 * convolution gradients) with few photos and one unfrozen block, which proves the mechanics, not the speed.
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
import { loadNetworkConfig, type NetworkConfig } from '../src/model/model-config.ts';
import { readLayersModel } from '../src/model/onnx/layers-model.ts';
import { listVersions } from '../src/model/registry.ts';
import type { BreedHead } from '../src/model/types.ts';
import { BackboneFineTuner } from '../src/training/fine-tune/backbone-fine-tuner.ts';
import { trainCandidate } from '../src/training/pipeline.ts';
import { maxAbsDifference } from '../src/model/inference/select-engine.ts';
import { sharedModelDir, skipWithoutTrainPhotos, trainPhotos } from './helpers/shared-data.ts';
import { shihTzuThenRidgeback } from './helpers/fine-tune-examples.ts';

const skip = skipWithoutTrainPhotos;
const CONFIG_PATH = path.join(projectRoot, 'models/mobilenet_v1_0.75_224.model.json');

const photos = (synset: string, count: number) => trainPhotos(synset, 0, count);

describe('fine-tuning the backbone (second stage)', { skip }, () => {
  let config: NetworkConfig;
  let base: Backbone;
  let head: BreedHead;
  const tmp: string[] = [];

  async function pixelsOf(file: string): Promise<Uint8Array> {
    const { scale, offset } = config.normalisation;
    const { input } = await prepareModelInput(readFileSync(file), { size: config.inputSize, scale, offset });
    return Uint8Array.from(input.data, (x) => Math.round((x - offset) / scale));
  }
  async function inputsOf(files: string[]) {
    const { scale, offset } = config.normalisation;
    return Promise.all(
      files.map(
        async (f) =>
          (await prepareModelInput(readFileSync(f), { size: config.inputSize, scale, offset })).input,
      ),
    );
  }

  before(async () => {
    await selectBackend('wasm');
    config = loadNetworkConfig(CONFIG_PATH);
    base = await loadBackbone({
      config,
      source: sharedModelDir,
      cacheRoot: os.tmpdir(),
      baseDir: projectRoot,
    });
    head = baseHeadOf(base);
  });
  after(() => {
    base?.dispose();
    for (const dir of tmp) rmSync(dir, { recursive: true, force: true });
  });

  test('without a GPU backend the second stage is skipped with its reason and the head-only candidate goes on', async () => {
    const modelsDir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-finetune-skip-'));
    tmp.push(modelsDir);
    const breeds = ['Shih-Tzu', 'Rhodesian Ridgeback'];
    const embeddings = await base.embed(
      await inputsOf([...photos('n02086240', 6), ...photos('n02087394', 6)]),
    );
    const labels = embeddings.map((embedding, i) => ({
      imageId: `img-${i}`,
      sha256: i.toString(16).padStart(64, '0'),
      breed: breeds[i < 6 ? 0 : 1]!,
      weight: 1,
      embedding,
    }));
    const result = await trainCandidate(
      {
        activeHead: head,
        activeVersion: 'base-test',
        backboneId: base.id,
        labels,
        modelsDir,
        train: { maxEpochs: 2 },
        policy: { minGuardImages: 0 },
        fineTune: { modelDir: sharedModelDir, modelConfig: config, images: {}, references: [] },
      },
      { backend: 'wasm' },
    );
    const report = result.metrics.fineTune!;
    assert.equal(report.ran, false);
    assert.match(report.reason, /needs a GPU backend \(tensorflow-gpu or webgpu\); training ran on wasm/);
    assert.equal(result.backboneId, base.id);
    const { versions } = await listVersions(modelsDir);
    assert.equal(versions.length, 1);
    assert.equal(existsSync(path.join(versions[0]!.dir, 'backbone')), false);
  });

  test('trains only the unfrozen blocks, and the saved backbone embeds as the trained one did', async () => {
    await selectBackend('cpu'); // wasm has no Conv2DBackpropFilter
    const tuner = await BackboneFineTuner.open(sharedModelDir, config, 1);
    try {
      assert.equal(tuner.top.split.cutLayer, 'conv_pw_12_relu');
      assert.deepEqual([...tuner.top.variables.keys()], ['conv_dw_13/depthwise_kernel', 'conv_pw_13/kernel']);

      const shihTzu = photos('n02086240', 2);
      const ridgeback = photos('n02087394', 2);
      const files = [...shihTzu, ...ridgeback];
      const pixels = await Promise.all(files.map(pixelsOf));

      // The rebuilt top blocks (frozen batch norm, 1x1 convolutions as matMul) reproduce the tfjs model.
      const reference = await base.embed(await inputsOf(files));
      assert.ok(maxAbsDifference(await tuner.embed(pixels, 'initial'), reference) < 1e-4);

      const train = shihTzuThenRidgeback(head, pixels);
      assert.ok(train.every((e) => e.breedIndex >= 0));
      // No holdout: the last epoch's weights are kept, so the test does not depend on one epoch helping.
      const run = await tuner.train(head, train, [], { maxEpochs: 1, batchSize: 4, learningRate: 1e-3 });
      assert.equal(run.epochsRun, 1);
      assert.equal(run.bestEpoch, 1);
      assert.ok(
        run.head.kernel.some((v, i) => v !== head.kernel[i]),
        'the head was trained too',
      );

      const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-finetuned-'));
      tmp.push(dir);
      await tuner.save(dir);
      const [original, saved] = [await readLayersModel(sharedModelDir), await readLayersModel(dir)];
      assert.deepEqual([...saved.weights.keys()], [...original.weights.keys()]);
      const changed = [...saved.weights].filter(([name, w]) =>
        w.data.some((v, i) => v !== original.weights.get(name)!.data[i]),
      );
      assert.deepEqual(changed.map(([name]) => name).sort(), [
        'conv_dw_13/depthwise_kernel',
        'conv_pw_13/kernel',
      ]);

      const trained = await tuner.embed(pixels.slice(0, 2));
      const reloaded = await loadBackbone({
        config: { ...config, id: 'fine-tuned-test' },
        source: dir,
        cacheRoot: os.tmpdir(),
        baseDir: projectRoot,
      });
      try {
        const fromDisk = await reloaded.embed(await inputsOf(files.slice(0, 2)));
        assert.ok(maxAbsDifference(fromDisk, trained) < 1e-4, 'the saved model embeds like the trained top');
        assert.ok(maxAbsDifference(fromDisk, reference.slice(0, 2)) > 1e-3, 'and differently from the base');
      } finally {
        reloaded.dispose();
      }
    } finally {
      tuner.dispose();
    }
  });
});

/**
 * Serving a version trained on a fine-tuned backbone: the version folder carries the backbone, the serving side
 * loads it beside the base one (its own engine), children share it, and a hot-swap away frees it. The "fine-tuned"
 * backbone is ../shared's MobileNet with conv_pw_13's kernel halved, so its embeddings really differ.
 * tfjs worker engine (one worker per backbone) so that stopping a fine-tuned engine's workers can be observed.
 */
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadModelGateway, type LoadedModel } from '../src/app/model-gateway.ts';
import { loadConfig, type Config } from '../src/config.ts';
import type { BreedClassifier } from '../src/model/classifier.ts';
import { fineTunedBackboneDir, fineTunedBackboneId } from '../src/model/fine-tuned-backbone.ts';
import { classifierForVersion, type ClassifierRuntime } from '../src/model/index.ts';
import type { BatchedEngine } from '../src/model/inference/batched-engine.ts';
import { BatcherClosedError } from '../src/model/inference/batcher.ts';
import { EngineClosedError } from '../src/model/inference/worker-engine.ts';
import { fileModelHandler, type ModelJson } from '../src/model/model-files.ts';
import { listVersions, newVersionId, saveHeadVersion } from '../src/model/registry.ts';
import type { BreedHead, ModelInput } from '../src/model/types.ts';
import { photoToModelInput } from './helpers/model-input.ts';
import { imagewoofSample, sharedModelDir, sharedModelEnv, skipWithoutPhotos } from './helpers/shared-data.ts';

const FINE_TUNED_WEIGHT = 'conv_pw_13/kernel';

/** A writable copy of the shared model with FINE_TUNED_WEIGHT's values multiplied by `factor`. */
function fineTunedCopyOfSharedModel(factor: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-ft-model-'));
  cpSync(sharedModelDir, dir, { recursive: true });
  for (const file of readdirSync(dir)) chmodSync(path.join(dir, file), 0o644); // ../shared is read-only
  const model = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelJson;
  for (const group of model.weightsManifest) {
    let offset = 0;
    for (const weight of group.weights) {
      const count = weight.shape.reduce((a, b) => a * b, 1);
      if (weight.name === FINE_TUNED_WEIGHT) {
        assert.equal(weight.dtype, 'float32');
        assert.equal(group.paths.length, 1, 'the test expects the weight in a one-file group');
        const file = path.join(dir, group.paths[0]!);
        const bytes = new Uint8Array(readFileSync(file));
        const values = new Float32Array(bytes.buffer, offset, count);
        for (let i = 0; i < count; i++) values[i]! *= factor;
        writeFileSync(file, bytes);
        return dir;
      }
      offset += count * 4;
    }
  }
  throw new Error(`${FINE_TUNED_WEIGHT} is not in the shared model`);
}

/** The runtime's base head: any head fits, the backbone is what these tests are about. */
const headOf = (runtime: ClassifierRuntime): BreedHead => runtime.baseHead;

const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

/** Proves an engine is stopped: it refuses work and none of its workers is running. */
async function assertEngineStopped(engine: BatchedEngine, input: ModelInput): Promise<void> {
  await assert.rejects(
    engine.embed([input]),
    (err) => err instanceof BatcherClosedError || err instanceof EngineClosedError,
  );
  assert.deepEqual(await engine.inner.memory(), [], 'a worker of the released engine is still running');
}

describe('versions on a fine-tuned backbone', { skip: skipWithoutPhotos }, () => {
  let modelsDir: string;
  let tunedModelDir: string;
  let config: Config;
  let model: LoadedModel;
  let runtime: ClassifierRuntime;
  let photo: ModelInput;
  let photoBytes: Buffer[];
  let baseEmbedding: Float32Array;
  let tunedVersion: string;
  let tunedId: string;

  before(async () => {
    modelsDir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-ft-models-'));
    tunedModelDir = fineTunedCopyOfSharedModel(0.5);
    config = loadConfig({
      ...process.env,
      ...sharedModelEnv,
      MODELS_DIR: modelsDir,
      EMBED_ENGINE: 'worker',
      EMBED_WORKERS: '1',
    });
    model = await loadModelGateway(config, null);
    runtime = model.runtime;
    const photos = imagewoofSample(1).slice(0, 3);
    photoBytes = photos.map((p) => readFileSync(p.file));
    photo = await photoToModelInput(photos[0]!.file, runtime.imageSpec);
    [baseEmbedding] = (await runtime.classifier.embed([photo])) as [Float32Array];

    tunedVersion = newVersionId();
    tunedId = fineTunedBackboneId(runtime.backbone.id, tunedVersion);
    await saveHeadVersion(modelsDir, headOf(runtime), {
      version: tunedVersion,
      parent: runtime.baseVersion,
      backboneId: tunedId,
      backboneDir: tunedModelDir,
    });
  });

  after(async () => {
    await model?.dispose();
    for (const dir of [modelsDir, tunedModelDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the version folder carries the backbone, and the registry says so', async () => {
    const backboneDir = fineTunedBackboneDir(modelsDir, tunedVersion);
    const manifest = JSON.parse(readFileSync(path.join(tunedModelDir, 'model.json'), 'utf8')) as ModelJson;
    const copied = readdirSync(backboneDir).sort();
    // Only model.json and its weight files: the labels beside the source model are not part of the backbone.
    assert.deepEqual(copied, ['model.json', ...manifest.weightsManifest.flatMap((g) => g.paths)].sort());
    for (const file of copied) {
      assert.ok(
        readFileSync(path.join(backboneDir, file)).equals(readFileSync(path.join(tunedModelDir, file))),
        file,
      );
    }
    const { versions, broken } = await listVersions(modelsDir);
    assert.deepEqual(broken, []);
    const listed = versions.find((v) => v.version === tunedVersion);
    assert.ok(listed);
    assert.equal(listed.fineTunedBackbone, true);
    assert.equal(listed.backboneId, tunedId);
  });

  test('a fine-tuned version serves with its own backbone; the base classifier is untouched', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const tuned = await classifierForVersion(runtime, tunedVersion, modelsDir, runtime.classifier);
    try {
      assert.equal(tuned.backbone.id, tunedId);
      assert.notEqual(tuned.backbone, runtime.backbone);
      assert.notEqual(tuned.engine, runtime.engine, 'a fine-tuned backbone needs its own engine');
      assert.equal(tuned.engine?.kind, runtime.engine.kind, 'the same EMBED_ENGINE as the runtime');
      assert.equal(tuned.ownsBackbone, true);
      assert.equal(runtime.classifier.ownsBackbone, false);
      assert.equal(
        tuned.backbone.classifier.labels.synonyms.length,
        1000,
        'labels resolved beside the config',
      );

      const [tunedEmbedding] = (await tuned.embed([photo])) as [Float32Array];
      const [baseAgain] = (await runtime.classifier.embed([photo])) as [Float32Array];
      assert.ok(
        maxAbsDiff(tunedEmbedding, baseEmbedding) > 0.05,
        'the fine-tuned embedding equals the base one',
      );
      assert.deepEqual(baseAgain, baseEmbedding, 'the base classifier changed');

      // What the fine-tuned engine computes is what the modified model computes, end to end.
      const full = await tf.loadLayersModel(fileModelHandler(tunedModelDir));
      const size = runtime.imageSpec.size;
      const predicted = tf.tidy(() => full.predict(tf.tensor4d(photo.data, [1, size, size, 3])) as tf.Tensor);
      const expected = (await predicted.data()) as Float32Array;
      predicted.dispose();
      full.dispose();
      const ours = tuned.pretrainedProbabilities(tunedEmbedding);
      assert.ok(
        maxAbsDiff(Float32Array.from(ours), expected) < 1e-5,
        'probabilities differ from the tuned model',
      );

      const result = await tuned.classify(photo);
      assert.equal(result.backboneId, tunedId);
      assert.equal(result.modelVersion, tunedVersion);
      assert.equal((await runtime.classifier.classify(photo)).backboneId, runtime.backbone.id);
    } finally {
      await tuned.release();
    }
    assert.equal(tf.memory().numTensors, tensorsBefore, 'the released backbone left tensors behind');
    await assertEngineStopped(tuned.engine as BatchedEngine, photo);
    await tuned.release(); // idempotent
  });

  test('a head-only child of the fine-tuned version shares the loaded backbone, or loads it when alone', async () => {
    const child = await saveHeadVersion(modelsDir, headOf(runtime), {
      parent: tunedVersion,
      backboneId: tunedId,
      createdAt: new Date(Date.now() + 1000),
    });
    assert.equal(child.fineTunedBackbone, false);
    const tensorsBefore = tf.memory().numTensors;
    const tuned = await classifierForVersion(runtime, tunedVersion, modelsDir, runtime.classifier);
    const tensorsWithTuned = tf.memory().numTensors;

    const shared = await classifierForVersion(runtime, child.version, modelsDir, tuned);
    assert.equal(shared.backbone, tuned.backbone, 'the child loaded the backbone again');
    assert.equal(shared.engine, tuned.engine);
    assert.equal(tf.memory().numTensors, tensorsWithTuned);
    assert.equal(shared.modelVersion, child.version);

    const alone = await classifierForVersion(runtime, child.version, modelsDir, runtime.classifier);
    assert.notEqual(alone.backbone, tuned.backbone);
    assert.equal(alone.backbone.id, tunedId);
    const [fromShared, fromAlone] = [(await shared.embed([photo]))[0]!, (await alone.embed([photo]))[0]!];
    assert.deepEqual(fromAlone, fromShared, 'the same fine-tuned weights give the same embedding');
    await alone.release();
    await assertEngineStopped(alone.engine as BatchedEngine, photo);

    // Reference counted: the parent's release leaves the child working; the child's frees the backbone.
    await tuned.release();
    assert.deepEqual((await shared.embed([photo]))[0], fromShared);
    assert.throws(() => tuned.withHead(headOf(runtime), 'v-x'), /released/);
    await shared.release();
    await assertEngineStopped(shared.engine as BatchedEngine, photo);
    assert.equal(tf.memory().numTensors, tensorsBefore);
  });

  test('hot-swap base → fine-tuned → base under load: no failures, and the fine-tuned backbone is freed', async () => {
    const { holder } = model;
    assert.equal(model.backboneId, runtime.backbone.id);
    const tensorsBefore = tf.memory().numTensors;
    const tuned = await classifierForVersion(runtime, tunedVersion, modelsDir, holder.model);
    const failures: unknown[] = [];
    const seen: { backboneId: string; modelVersion: string }[] = [];
    const classifyOne = (i: number) =>
      model.classifyBytes(photoBytes[i % photoBytes.length]!).then(
        ({ result }) => void seen.push({ backboneId: result.backboneId, modelVersion: result.modelVersion }),
        (err: unknown) => void failures.push(err),
      );

    const requests: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) requests.push(classifyOne(i));
    const toTuned = holder.swap(tuned, tunedVersion);
    assert.equal(model.backboneId, tunedId, 'backboneId follows the active classifier');
    for (let i = 10; i < 20; i++) requests.push(classifyOne(i));
    // Requests take their lease after decoding: swap back once the fine-tuned model has answered one of them.
    for (const deadline = Date.now() + 30_000; !seen.some((s) => s.backboneId === tunedId);) {
      assert.ok(
        Date.now() < deadline && failures.length === 0,
        'no request was served by the fine-tuned model',
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (let i = 20; i < 30; i++) requests.push(classifyOne(i));
    const backToBase = holder.swap(runtime.classifier, runtime.baseVersion);
    assert.equal(model.backboneId, runtime.backbone.id);
    await Promise.all(requests);
    await Promise.all([toTuned, backToBase]);

    assert.deepEqual(failures, []);
    assert.equal(seen.length, 30);
    assert.ok(seen.some((s) => s.backboneId === tunedId && s.modelVersion === tunedVersion));
    assert.ok(seen.every((s) => (s.backboneId === tunedId) === (s.modelVersion === tunedVersion)));
    assert.ok(seen.some((s) => s.backboneId === runtime.backbone.id));
    assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked across the swaps');
    await assertEngineStopped(tuned.engine as BatchedEngine, photo);
    // The base classifier was retired (so released) by the first swap: it owns nothing, so it serves on.
    assert.deepEqual(
      (await runtime.classifier.embed([photo]))[0],
      baseEmbedding,
      'the base engine still serves',
    );
    assert.equal(runtime.classifier.withHead(headOf(runtime), tunedVersion).backbone, runtime.backbone);
  });

  test('a missing or corrupt fine-tuned backbone is a clear error naming the version', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const load = (version: string): Promise<BreedClassifier> =>
      classifierForVersion(runtime, version, modelsDir, runtime.classifier);

    // A head that says it brought a backbone, without one.
    const missing = newVersionId(new Date(Date.now() + 2000));
    await saveHeadVersion(modelsDir, headOf(runtime), {
      version: missing,
      parent: null,
      backboneId: fineTunedBackboneId(runtime.backbone.id, missing),
    });
    await assert.rejects(load(missing), (err: Error) => {
      assert.match(err.message, new RegExp(`Model version ${missing} needs the fine-tuned backbone`));
      assert.match(err.message, /does not exist/);
      return true;
    });

    // A child whose backbone's version was never saved.
    const ghost = newVersionId(new Date(Date.now() + 3000));
    const orphan = await saveHeadVersion(modelsDir, headOf(runtime), {
      parent: ghost,
      backboneId: fineTunedBackboneId(runtime.backbone.id, ghost),
      createdAt: new Date(Date.now() + 4000),
    });
    await assert.rejects(load(orphan.version), new RegExp(`Model version ${orphan.version} needs.*${ghost}`));

    // A truncated weight file and an unreadable model.json.
    const corruptVersion = newVersionId(new Date(Date.now() + 5000));
    const corrupt = await saveHeadVersion(modelsDir, headOf(runtime), {
      version: corruptVersion,
      parent: null,
      backboneId: fineTunedBackboneId(runtime.backbone.id, corruptVersion),
      backboneDir: tunedModelDir,
    });
    const weightFile = path.join(corrupt.dir, 'backbone', 'group37-shard1of1');
    writeFileSync(weightFile, readFileSync(weightFile).subarray(0, 1000));
    await assert.rejects(load(corrupt.version), (err: Error) => {
      assert.match(err.message, new RegExp(`Model version ${corrupt.version} needs the fine-tuned backbone`));
      assert.match(err.message, /group37-shard1of1 holds 1000 bytes/);
      return true;
    });
    writeFileSync(path.join(corrupt.dir, 'backbone', 'model.json'), '{ "modelTopology": ');
    await assert.rejects(load(corrupt.version), /not valid JSON/);

    // A backbone of another base model is still refused as before.
    const foreign = await saveHeadVersion(modelsDir, headOf(runtime), {
      parent: null,
      backboneId: fineTunedBackboneId('resnet50', tunedVersion),
      createdAt: new Date(Date.now() + 6000),
    });
    await assert.rejects(
      load(foreign.version),
      /was trained on backbone resnet50\+ft-.*but the loaded backbone is/,
    );
    assert.equal(tf.memory().numTensors, tensorsBefore, 'a failed load left tensors behind');
  });
});

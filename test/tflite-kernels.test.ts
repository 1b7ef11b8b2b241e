/**
 * Where breedbot's two readings of a .tflite file sit among TensorFlow Lite's own kernel sets.
 *
 * test/fixtures/tflite-2.21-kernels.json (written by scripts/tflite-kernels.py) holds tensorflow 2.21's raw uint8
 * outputs on the tflite-reference inputs with each of its kernel sets: XNNPACK (AUTO, the build that made
 * ../shared/models/tflite-reference/tflite-reference.json), the optimized builtin kernels, and the reference
 * kernels. They disagree with each other by more than the 0.03 the importer issue asks against the JSON, so the
 * figures here say how close to that JSON any TFLite-faithful implementation can be expected to come.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { projectRoot } from '../src/config.ts';
import { selectBackend } from '../src/model/backend.ts';
import { argmax } from '../src/model/head-math.ts';
import { importTflite, readTflite } from '../src/model/tflite/index.ts';
import {
  dequantizedInput,
  fullProbabilities,
  referencePhotos,
  tfliteReferenceSkip,
  topFiveDisagreement,
} from './helpers/tflite-reference.ts';
import { ortMissing } from './helpers/onnx-rig.ts';
import { openQdqSession, qdqProbabilities } from './helpers/qdq-session.ts';

const sharedModels = path.resolve(projectRoot, '../shared/models');
const referenceDir = path.join(sharedModels, 'tflite-reference');
const files = {
  'mobilenet_edgetpu_224_1.0': 'mobilenet_edgetpu_224_1.0/mobilenet_edgetpu_224_1.0_uint8.tflite',
  'mobilenet_v2_1.0_224_quant': 'mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite',
} as const;
type ModelId = keyof typeof files;

interface KernelOutputs {
  scale: number;
  zeroPoint: number;
  outputs: Record<string, string>;
}
interface KernelFixture {
  tensorflow: string;
  kernels: string[];
  models: Record<ModelId, Record<string, KernelOutputs>>;
}
type Reference = Record<string, { photos: Record<string, [number, number][]> }>;

const fixture = JSON.parse(
  readFileSync(path.join(projectRoot, 'test/fixtures/tflite-2.21-kernels.json'), 'utf8'),
) as KernelFixture;

const skip = tfliteReferenceSkip(sharedModels, Object.values(files), ortMissing);

const probabilitiesOf = (k: KernelOutputs, photo: string) =>
  Array.from(Buffer.from(k.outputs[photo]!, 'base64'), (q) => (q - k.zeroPoint) * k.scale);

/** Largest top-5 disagreement over the photos between two sets of outputs. */
const worstOver = (
  photos: string[],
  a: (p: string) => ArrayLike<number>,
  b: (p: string) => ArrayLike<number>,
) => Math.max(...photos.map((p) => topFiveDisagreement(a(p), b(p))));

/** breedbot's integer graph (ONNX Runtime) and float import (tfjs) on every reference input: 1001 probabilities. */
async function breedbotOutputs(id: ModelId, work: string) {
  const file = path.join(sharedModels, files[id]);
  const qdq = await openQdqSession(readTflite(new Uint8Array(readFileSync(file)), file), work);
  const imported = await importTflite({ file, cacheDir: path.join(work, id) });
  const probe = tf.model({
    inputs: imported.model.inputs,
    outputs: ['embedding_pool', 'imagenet_logits'].map(
      (name) => imported.model.getLayer(name).output as tf.SymbolicTensor,
    ),
  });
  const { input } = imported.source;
  const integer = new Map<string, Float64Array>();
  const float = new Map<string, Float32Array>();
  for (const { name, pixels } of referencePhotos(referenceDir)) {
    const x = dequantizedInput(pixels, input.zeroPoint, input.scale);
    integer.set(name, (await qdqProbabilities(qdq, x)).probs);
    const [e, l] = tf.tidy(() => probe.predict(tf.tensor4d(x, [1, 224, 224, 3])) as tf.Tensor[]);
    float.set(
      name,
      fullProbabilities(imported, e!.dataSync() as Float32Array, l!.dataSync() as Float32Array),
    );
    tf.dispose([e!, l!]);
  }
  await qdq.session.release();
  return { qdq: integer, float };
}

test(
  'the fixture is tensorflow 2.21 with its three kernel sets, and its XNNPACK outputs are tflite-reference.json',
  {
    skip: tfliteReferenceSkip(sharedModels, []),
  },
  () => {
    assert.equal(fixture.tensorflow, '2.21.0');
    assert.deepEqual(fixture.kernels, ['AUTO', 'BUILTIN_WITHOUT_DEFAULT_DELEGATES', 'BUILTIN_REF']);
    const reference = JSON.parse(
      readFileSync(path.join(referenceDir, 'tflite-reference.json'), 'utf8'),
    ) as Reference;
    for (const id of Object.keys(files) as ModelId[]) {
      const photos = Object.keys(reference[id]!.photos);
      assert.equal(photos.length, 12);
      for (const photo of photos) {
        const p = probabilitiesOf(fixture.models[id].AUTO!, photo);
        for (const [index, expected] of reference[id]!.photos[photo]!)
          assert.ok(
            Math.abs(p[index]! - expected) < 1e-4,
            `${id} ${photo} class ${index}: ${p[index]} vs ${expected}`,
          );
      }
    }
  },
);

describe("breedbot's importer among TFLite's kernel sets", { skip }, () => {
  const work = mkdtempSync(path.join(tmpdir(), 'tflite-kernels-'));
  before(async () => {
    await selectBackend('wasm');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const id of Object.keys(files) as ModelId[]) {
    test(`${id}: same top-1 as every kernel set, and as close to the JSON's XNNPACK as TFLite's own kernels are to each other`, async () => {
      const kernels = fixture.models[id];
      const photos = Object.keys(kernels.AUTO!.outputs).sort();
      const kernelOutput = (name: string) => (photo: string) => probabilitiesOf(kernels[name]!, photo);
      const spread = [] as { a: string; b: string; worst: number }[];
      for (const [i, a] of fixture.kernels.entries())
        for (const b of fixture.kernels.slice(i + 1))
          spread.push({ a, b, worst: worstOver(photos, kernelOutput(a), kernelOutput(b)) });
      const widest = Math.max(...spread.map((s) => s.worst));
      const ours = await breedbotOutputs(id, work);
      const lines = [
        `# ${id}: TFLite's kernel sets against each other (top-5, max over ${photos.length} photos):`,
      ];
      for (const s of spread) lines.push(`#   ${s.a} vs ${s.b}: ${s.worst.toFixed(4)}`);
      for (const [reading, outputs] of Object.entries(ours)) {
        const against = fixture.kernels.map((k) => ({
          k,
          worst: worstOver(photos, (p) => outputs.get(p)!, kernelOutput(k)),
        }));
        lines.push(
          `#   breedbot ${reading}: ${against.map((a) => `vs ${a.k} ${a.worst.toFixed(4)}`).join(', ')}`,
        );
        for (const photo of photos)
          for (const k of fixture.kernels)
            assert.equal(
              argmax(outputs.get(photo)!),
              argmax(kernelOutput(k)(photo)),
              `${id} ${photo}: breedbot ${reading} top-1 vs TFLite ${k}`,
            );
        const vsJson = against.find((a) => a.k === 'AUTO')!.worst;
        assert.ok(
          vsJson <= widest,
          `${id}: breedbot ${reading} is ${vsJson.toFixed(4)} from XNNPACK, wider than TFLite's own spread ${widest.toFixed(4)}`,
        );
      }
      console.log(lines.join('\n'));
      // The fact the issue's 0.03 meets: TFLite's own kernel sets are further apart than that.
      assert.ok(widest > 0.03, `${id}: TFLite's kernel sets agree within ${widest}`);
    });
  }
});

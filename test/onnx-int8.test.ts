/**
 * ONNX_PRECISION: the integer (QDQ) graph of a uint8 .tflite backbone served through the real runtime, chosen by
 * auto only where the CPU has VNNI and the backbone is its own .tflite file, and checked against tfjs at start-up.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig, projectRoot } from '../src/config.ts';
import { cpuFlagsOf, hasVnni } from '../src/model/cpu-features.ts';
import { headProbabilities } from '../src/model/head-math.ts';
import { loadClassifierRuntime, type ClassifierRuntime } from '../src/model/index.ts';
import { cosineOf, selectEmbeddingEngine } from '../src/model/inference/select-engine.ts';
import { loadModelConfig, type ModelConfig } from '../src/model/model-config.ts';
import { cachedQdqBackbone } from '../src/model/onnx/onnx-cache.ts';
import { chooseOnnxPrecision } from '../src/model/onnx/onnx-precision.ts';
import type { ModelInput } from '../src/model/types.ts';
import { ortMissing } from './helpers/onnx-rig.ts';
import { photoToModelInput } from './helpers/model-input.ts';
import { imagewoofSample } from './helpers/shared-data.ts';

const entry = (id: string) => loadModelConfig(path.join(projectRoot, 'models', `${id}.model.json`));
const edgeTpu = entry('mobilenet_edgetpu_224_1.0');
const edgeTpuFile = path.resolve(projectRoot, (edgeTpu as { mirror: string }).mirror);
const valDir = path.resolve(projectRoot, '../shared/datasets/imagewoof/val');
const skipReal =
  ortMissing ||
  (existsSync(edgeTpuFile) && existsSync(valDir)
    ? false
    : `needs ${path.relative(projectRoot, edgeTpuFile)} and ../shared/datasets/imagewoof/val (absent)`);

const iceLakeFlags = 'fpu vme sse sse2 avx avx2 avx512f avx512bw avx512vl avx512_vnni avx512_bitalg';
const cpuinfo = (flags: string) =>
  `processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: ${flags}\nbogomips\t: 5586.87\n\nprocessor\t: 1\nflags\t\t: ${flags}\n`;
const backboneOf = (config: ModelConfig, tfliteFile?: string) => ({
  id: config.id,
  config,
  source: { dir: '/models/x', origin: 'mirror' as const, source: 'x', ...(tfliteFile ? { tfliteFile } : {}) },
});

describe('ONNX_PRECISION: choosing the float or the int8 graph', () => {
  test('VNNI is read from /proc/cpuinfo flags: AVX-512 VNNI or AVX-VNNI, not plain AVX2 or AVX-512', () => {
    assert.equal(hasVnni(cpuFlagsOf(cpuinfo(iceLakeFlags))), true);
    assert.equal(hasVnni(cpuFlagsOf(cpuinfo('sse4_2 avx avx2 fma avx_vnni'))), true);
    assert.equal(hasVnni(cpuFlagsOf(cpuinfo('sse4_2 avx avx2 fma avx512f avx512bw'))), false);
    assert.equal(hasVnni(cpuFlagsOf('Processor\t: AArch64\nFeatures\t: fp asimd\n')), false);
    assert.equal(hasVnni(cpuFlagsOf('')), false);
  });

  test('auto serves int8 only for a .tflite backbone on a VNNI CPU, and says why otherwise', () => {
    const tflite = backboneOf(edgeTpu, '/models/edgetpu.tflite');
    assert.equal(chooseOnnxPrecision('auto', tflite, true).precision, 'int8');
    const noVnni = chooseOnnxPrecision('auto', tflite, false);
    assert.equal(noVnni.precision, 'float');
    assert.match(noVnni.reason, /no VNNI/);
    // A converted or fine-tuned folder has no .tflite file: its weights may not be the file's.
    const folder = chooseOnnxPrecision('auto', backboneOf(edgeTpu), true);
    assert.equal(folder.precision, 'float');
    assert.match(folder.reason, /no \.tflite file/);
    const v1 = chooseOnnxPrecision('auto', backboneOf(entry('mobilenet_v1_0.75_224')), true);
    assert.equal(v1.precision, 'float');
    const ensemble = chooseOnnxPrecision('auto', backboneOf(entry('ensemble_edgetpu_v2')), true);
    assert.equal(ensemble.precision, 'float');
    assert.match(ensemble.reason, /ensemble/);
    assert.equal(chooseOnnxPrecision('float', tflite, true).precision, 'float');
  });

  test('ONNX_PRECISION=int8 where no integer graph exists is a clear error, as is an unknown setting', () => {
    assert.throws(
      () => chooseOnnxPrecision('int8', backboneOf(entry('mobilenet_v1_0.75_224')), false),
      /ONNX_PRECISION=int8 cannot be used: mobilenet_v1_0\.75_224 has no \.tflite file/,
    );
    assert.equal(chooseOnnxPrecision('int8', backboneOf(edgeTpu, '/f.tflite'), false).precision, 'int8');
    assert.throws(() => loadConfig({ ONNX_PRECISION: 'int4' }), /ONNX_PRECISION/);
    assert.equal(loadConfig({}).ONNX_PRECISION, 'auto');
  });
});

describe('the int8 graph served for MobileNet-EdgeTPU', { skip: skipReal }, () => {
  let runtime: ClassifierRuntime;
  let photos: ModelInput[];
  const env = { BACKBONE: 'mobilenet_edgetpu_224_1.0', LOG_LEVEL: 'warn', EMBED_ENGINE: 'onnx' };

  before(async () => {
    runtime = await loadClassifierRuntime(loadConfig({ ...process.env, ...env, ONNX_PRECISION: 'int8' }));
    photos = await Promise.all(imagewoofSample(1).map((p) => photoToModelInput(p.file, runtime.imageSpec)));
  });
  after(async () => {
    await runtime?.close();
  });

  test('it reports itself, converts once into the ONNX cache, and embeds like tfjs within its quantization', async () => {
    assert.equal(runtime.servingBackend, 'onnxruntime-node int8');
    assert.equal(runtime.engineSelection.onnxPrecision, 'int8');
    assert.equal(runtime.engineSelection.onnxPrecisionReason, 'ONNX_PRECISION=int8');
    // The runtime converted it on its way up; asking for it again finds the cached file instead of converting.
    const again = cachedQdqBackbone(runtime.backbone.source.tfliteFile!, {
      cacheDir: path.join(projectRoot, 'models', 'cache', 'onnx'),
      modelId: 'mobilenet_edgetpu_224_1.0',
    });
    assert.equal(again.converted, false);
    assert.match(path.basename(again.path), /^mobilenet_edgetpu_224_1\.0\.int8\.[0-9a-f]{16}\.onnx$/);

    const served = await runtime.engine.embed(photos);
    const reference = await runtime.backbone.embed(photos);
    let sameTop1 = 0;
    served.forEach((embedding, i) => {
      // bench/int8-qdq.ts: mean cosine 0.991 over the 400 val photos; the same untrained top-1 (80.5%).
      assert.ok(
        cosineOf(embedding, reference[i]!) > 0.97,
        `photo ${i}: cosine ${cosineOf(embedding, reference[i]!)}`,
      );
      const argmax = (p: Float64Array) => p.indexOf(Math.max(...p));
      if (
        argmax(headProbabilities(runtime.baseHead, embedding)) ===
        argmax(headProbabilities(runtime.baseHead, reference[i]!))
      )
        sameTop1++;
    });
    assert.ok(sameTop1 >= photos.length - 1, `top-1 agrees on ${sameTop1}/${photos.length} photos`);

    const results = await Promise.all(photos.map((p) => runtime.classifier.classify(p)));
    results.forEach((r) => assert.equal(r.top5.length, 5));
  });

  test('an integer graph that does not match the backbone is caught at start-up: auto serves float, int8 refuses', async () => {
    // MobileNet V2's file has the same input and embedding size as EdgeTPU's, so only the probe check can tell.
    const v2File = path.resolve(
      projectRoot,
      (entry('mobilenet_v2_1.0_224_quant') as { mirror: string }).mirror,
    );
    const wrong = { ...runtime.backbone, source: { ...runtime.backbone.source, tfliteFile: v2File } };
    const options = {
      setting: 'onnx' as const,
      backbone: wrong,
      backendName: runtime.backend.name,
      modelConfigPath: runtime.modelConfig.configPath,
      onnxThreads: 1,
    };
    await assert.rejects(
      selectEmbeddingEngine({ ...options, onnxPrecision: 'int8' }),
      /ONNX_PRECISION=int8 cannot be used: the int8 ONNX graph's embedding has cosine 0\.\d+ to tfjs's on the start-up probe/,
    );
    const auto = await selectEmbeddingEngine({ ...options, onnxPrecision: 'auto' });
    try {
      assert.equal(auto.onnxPrecision, 'float');
      assert.equal(auto.engine.backendName, 'onnxruntime-node');
      if (hasVnni()) assert.match(auto.onnxPrecisionReason!, /int8 unusable \(.*cosine.*\); serving float/);
    } finally {
      await auto.engine.dispose();
    }
  });

  test('auto on this machine serves int8 exactly when the CPU has VNNI', async () => {
    const auto = await loadClassifierRuntime(loadConfig({ ...process.env, ...env, ONNX_PRECISION: 'auto' }));
    try {
      assert.equal(auto.engineSelection.onnxPrecision, hasVnni() ? 'int8' : 'float');
      assert.equal(auto.servingBackend, hasVnni() ? 'onnxruntime-node int8' : 'onnxruntime-node');
    } finally {
      await auto.close();
    }
  });

  test('a converted folder given as BASE_MODEL serves float under auto, and is an error under int8', async () => {
    const folder = runtime.backbone.source.dir;
    const auto = await loadClassifierRuntime(
      loadConfig({ ...process.env, ...env, BASE_MODEL: folder, ONNX_PRECISION: 'auto' }),
    );
    try {
      assert.equal(auto.engineSelection.onnxPrecision, 'float');
      assert.match(auto.engineSelection.onnxPrecisionReason!, /no \.tflite file/);
    } finally {
      await auto.close();
    }
    await assert.rejects(
      loadClassifierRuntime(
        loadConfig({ ...process.env, ...env, BASE_MODEL: folder, ONNX_PRECISION: 'int8' }),
      ),
      /ONNX_PRECISION=int8 cannot be used: mobilenet_edgetpu_224_1\.0 has no \.tflite file/,
    );
  });
});

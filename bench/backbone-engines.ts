/**
 * Per-image embedding time of each backbone on each CPU engine: ONNX Runtime with 1 and 2 intra-op threads
 * versus tfjs on the wasm backend, at batch 1 and 8, on the same preprocessed imagewoof photos.
 *
 *   node --import tsx bench/backbone-engines.ts [--json]
 *
 * Backbones: MobileNet v1 0.75 (../shared/models/mobilenet_v1_0.75_224) and the TFLite MobileNet EdgeTPU and
 * V2, imported once into models/cache/bench-tflite. Rounds interleave the engines, so load from other
 * processes on the machine falls on all of them alike; the medians are printed with the load average.
 * Settings: BENCH_ROUNDS (timed calls per engine and batch, default 9).
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { projectRoot } from '../src/config.ts';
import { prepareModelInput } from '../src/images/index.ts';
import { selectBackend } from '../src/model/backend.ts';
import { fileModelHandler } from '../src/model/model-files.ts';
import type { ModelConfig } from '../src/model/model-config.ts';
import { loadOnnxBackbone } from '../src/model/onnx/onnx-backbone.ts';
import { embeddingLayerName, importTflite } from '../src/model/tflite/index.ts';
import type { ModelInput } from '../src/model/types.ts';

const shared = path.resolve(projectRoot, '../shared');
const photosDir = path.join(shared, 'datasets/imagewoof/val');
const BATCHES = [1, 8] as const;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

interface BackboneUnderTest {
  id: string;
  dir: string;
  embeddingLayer: string;
  /** Pixel p becomes p * scale + offset. */
  scale: number;
  offset: number;
}

type EmbedFn = (inputs: readonly ModelInput[]) => Promise<unknown>;

async function backbones(): Promise<BackboneUnderTest[]> {
  const list: BackboneUnderTest[] = [
    {
      id: 'mobilenet_v1_0.75_224',
      dir: path.join(shared, 'models/mobilenet_v1_0.75_224'),
      embeddingLayer: 'global_average_pooling2d_1',
      scale: 1 / 127.5,
      offset: -1,
    },
  ];
  const tflite = {
    'mobilenet_edgetpu_224_1.0': 'mobilenet_edgetpu_224_1.0/mobilenet_edgetpu_224_1.0_uint8.tflite',
    'mobilenet_v2_1.0_224_quant': 'mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite',
  };
  for (const [id, file] of Object.entries(tflite)) {
    const imported = await importTflite({
      file: path.join(shared, 'models', file),
      cacheDir: path.join(projectRoot, 'models/cache/bench-tflite', id),
    });
    imported.model.dispose();
    const { scale, zeroPoint } = imported.source.input;
    list.push({
      id,
      dir: imported.dir,
      embeddingLayer: embeddingLayerName,
      scale,
      offset: -zeroPoint * scale,
    });
  }
  return list;
}

function configOf(b: BackboneUnderTest): ModelConfig {
  return {
    id: b.id,
    url: 'https://example.invalid/model.json',
    format: 'layers',
    inputSize: 224,
    normalisation: { scale: b.scale, offset: b.offset },
    resize: 'cover',
    embeddingLayer: b.embeddingLayer,
    classifier: { layer: 'unused' },
    labelsFile: 'unused.txt',
    dogClasses: { first: 0, last: 0 },
    configPath: path.join(projectRoot, 'models', `${b.id}.model.json`),
  };
}

/** The tfjs embedding as the tfjs backbone computes it: the layers model cut at the embedding layer. */
async function tfjsEmbedder(b: BackboneUnderTest): Promise<{ embed: EmbedFn; dispose(): void }> {
  const model = await tf.loadLayersModel(fileModelHandler(b.dir));
  const cut = tf.model({
    inputs: model.inputs,
    outputs: model.getLayer(b.embeddingLayer).output as tf.SymbolicTensor,
  });
  return {
    embed: async (inputs) => {
      const out = tf.tidy(() => {
        const batch = tf.stack(inputs.map((i) => tf.tensor3d(i.data, [i.size, i.size, 3])));
        return (cut.predict(batch) as tf.Tensor).reshape([inputs.length, -1]);
      });
      const data = await out.data();
      out.dispose();
      return data;
    },
    dispose: () => model.dispose(),
  };
}

async function photos(b: BackboneUnderTest): Promise<ModelInput[]> {
  const files = readdirSync(photosDir)
    .sort()
    .slice(0, 8)
    .map((synset) => path.join(photosDir, synset, readdirSync(path.join(photosDir, synset)).sort()[0]!));
  const spec = { size: 224, scale: b.scale, offset: b.offset };
  return Promise.all(files.map(async (f) => (await prepareModelInput(await readFile(f), spec)).input));
}

const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor((xs.length - 1) / 2)]!;

/** Median ms per image of each engine at `batch`, one warm-up call each, timed rounds interleaved. */
async function timeEngines(engines: Record<string, EmbedFn>, images: ModelInput[], batch: number) {
  const inputs = Array.from({ length: batch }, (_, i) => images[i % images.length]!);
  const samples: Record<string, number[]> = {};
  for (const [name, embed] of Object.entries(engines)) {
    await embed(inputs);
    samples[name] = [];
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, embed] of Object.entries(engines)) {
      const start = performance.now();
      await embed(inputs);
      samples[name]!.push((performance.now() - start) / batch);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, s]) => [name, Math.round(median(s) * 10) / 10]),
  );
}

export interface BackboneEngineTiming {
  backbone: string;
  batch: number;
  /** Median ms per image by engine: onnx1, onnx2 (intra-op threads) and tfjs-<backend>. */
  msPerImage: Record<string, number>;
}

/** What `npm run bench` could call for a per-backbone engine section; undefined without ../shared. */
export async function measureBackboneEngines(): Promise<BackboneEngineTiming[] | undefined> {
  const needed = [photosDir, path.join(shared, 'models/mobilenet_v1_0.75_224/model.json')];
  if (!needed.every((p) => existsSync(p))) return undefined;
  const backend = await selectBackend('wasm');
  const cacheDir = path.join(projectRoot, 'models/cache/onnx');
  const results: BackboneEngineTiming[] = [];
  for (const b of await backbones()) {
    const images = await photos(b);
    const tfjs = await tfjsEmbedder(b);
    const onnx1 = await loadOnnxBackbone(b.dir, configOf(b), { threads: 1, cacheDir });
    const onnx2 = await loadOnnxBackbone(b.dir, configOf(b), { threads: 2, cacheDir });
    try {
      for (const batch of BATCHES) {
        const msPerImage = await timeEngines(
          { onnx1: onnx1.embed, onnx2: onnx2.embed, [`tfjs-${backend.name}`]: tfjs.embed },
          images,
          batch,
        );
        results.push({ backbone: b.id, batch, msPerImage });
        console.error(`${b.id} batch ${batch}: ${JSON.stringify(msPerImage)}`);
      }
    } finally {
      await onnx1.dispose();
      await onnx2.dispose();
      tfjs.dispose();
    }
  }
  return results;
}

async function main() {
  const results = await measureBackboneEngines();
  if (!results) {
    console.log(
      `backbone-engines: skipped, it needs ${path.relative(projectRoot, shared)}/ (models and imagewoof/val)`,
    );
    return;
  }
  const load = os.loadavg().map((l) => l.toFixed(1));
  console.log(
    `median ms per image over ${ROUNDS} interleaved rounds; ${os.availableParallelism()} cores, load average ${load.join(' ')}`,
  );
  console.log('backbone                      batch   onnx1   onnx2  tfjs-wasm');
  for (const r of results) {
    const [a, b, c] = Object.values(r.msPerImage).map((v) => v.toFixed(1).padStart(7));
    console.log(`${r.backbone.padEnd(28)}  ${String(r.batch).padStart(5)} ${a} ${b}  ${c!.padStart(9)}`);
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify({ rounds: ROUNDS, load, results }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}

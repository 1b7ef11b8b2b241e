/**
 * The speed reference of issue 5: the frozen backbone on ONNX Runtime (CPU) versus the tfjs backbone, in
 * the same process on the same preprocessed photos, at batch 1 and 8.
 *
 *   node --import tsx bench/reference.ts        (prints a table; TF_BACKEND picks the tfjs engine, default wasm)
 *
 * `measureReference` is what `npm run bench` calls for its "reference" entry.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadConfig, projectRoot } from '../src/config.ts';
import { imageLimitsFromConfig, prepareModelInput } from '../src/images/index.ts';
import { imageSpecOf, loadBackbone, selectBackend, type BackendName } from '../src/model/index.ts';
import { resolveBackboneFiles } from '../src/model/backbone.ts';
import { loadNetworkConfig, type NetworkConfig } from '../src/model/model-config.ts';
import { loadOnnxBackbone, ONNX_ENGINE } from '../src/model/onnx/onnx-backbone.ts';
import type { ModelInput } from '../src/model/types.ts';

interface Embedder {
  embed(inputs: readonly ModelInput[]): Promise<Float32Array[]>;
}

export interface ReferenceBatchTiming {
  batch: number;
  onnxMsPerImage: number;
  tfjsMsPerImage: number;
}

export interface ReferenceResult {
  engine: typeof ONNX_ENGINE;
  /** ONNX Runtime, batch 1, median ms per image. */
  msPerImage: number;
  /** The tfjs backbone on `tfjsBackend`, batch 1, median ms per image. */
  tfjsMsPerImage: number;
  /** tfjsMsPerImage / msPerImage: how many times faster the reference is. */
  ratio: number;
  tfjsBackend: string;
  batches: ReferenceBatchTiming[];
  /** Largest |tfjs - onnx| over the embeddings of `images` (the two must agree). */
  maxAbsDiff: number;
}

export interface MeasureReferenceOptions {
  /** Preprocessed photos (at least max(batches) of them is best; fewer are repeated). */
  images: readonly ModelInput[];
  /** A loaded tfjs backbone to compare with; loaded from `modelDir` on the current tfjs backend when absent. */
  tfjsBackbone?: Embedder;
  modelDir?: string;
  modelConfig?: NetworkConfig;
  batches?: number[];
  /** Timed runs per engine and batch size (after one warm-up). */
  rounds?: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

function batchOf(images: readonly ModelInput[], size: number, round: number): ModelInput[] {
  return Array.from({ length: size }, (_, i) => images[(round * size + i) % images.length]!);
}

async function msPerImage(embedder: Embedder, images: readonly ModelInput[], batch: number, rounds: number) {
  await embedder.embed(batchOf(images, batch, 0));
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const inputs = batchOf(images, batch, r + 1);
    const start = performance.now();
    await embedder.embed(inputs);
    samples.push((performance.now() - start) / batch);
  }
  return median(samples);
}

export async function defaultReferenceModel(): Promise<{ modelDir: string; modelConfig: NetworkConfig }> {
  const config = loadConfig();
  const modelConfig = loadNetworkConfig(config.baseModelConfigPath);
  const files = await resolveBackboneFiles(modelConfig, {
    ...(config.BASE_MODEL ? { source: config.BASE_MODEL } : {}),
    ...(config.BASE_MODEL_MIRROR ? { mirror: config.BASE_MODEL_MIRROR } : {}),
    cacheRoot: path.join(config.modelsDir, 'cache'),
    baseDir: projectRoot,
  });
  return { modelDir: files.dir, modelConfig };
}

/** Times the ONNX Runtime backbone against the tfjs one on the same photos, and checks they agree. */
export async function measureReference(options: MeasureReferenceOptions): Promise<ReferenceResult> {
  if (options.images.length === 0) throw new Error('measureReference needs at least one image');
  const fallback = options.modelDir && options.modelConfig ? undefined : await defaultReferenceModel();
  const modelDir = options.modelDir ?? fallback!.modelDir;
  const modelConfig = options.modelConfig ?? fallback!.modelConfig;
  const batches = options.batches ?? [1, 8];
  const rounds = options.rounds ?? 7;

  let ownedTfjs: { dispose(): void } | undefined;
  let tfjs = options.tfjsBackbone;
  if (!tfjs) {
    const loaded = await loadBackbone({
      config: modelConfig,
      source: modelDir,
      cacheRoot: path.join(projectRoot, 'models', 'cache'),
      baseDir: projectRoot,
    });
    tfjs = loaded;
    ownedTfjs = loaded;
  }
  const onnx = await loadOnnxBackbone(modelDir, modelConfig);
  try {
    const sample = options.images.slice(0, 8);
    const [a, b] = [await tfjs.embed(sample), await onnx.embed(sample)];
    let maxAbsDiff = 0;
    a.forEach((row, i) =>
      row.forEach((v, j) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - b[i]![j]!)))),
    );

    const timings: ReferenceBatchTiming[] = [];
    for (const batch of batches) {
      timings.push({
        batch,
        onnxMsPerImage: round2(await msPerImage(onnx, options.images, batch, rounds)),
        tfjsMsPerImage: round2(
          await msPerImage(tfjs, options.images, batch, Math.max(3, Math.ceil(rounds / 2))),
        ),
      });
    }
    const first = timings[0]!;
    return {
      engine: ONNX_ENGINE,
      msPerImage: first.onnxMsPerImage,
      tfjsMsPerImage: first.tfjsMsPerImage,
      ratio: round2(first.tfjsMsPerImage / first.onnxMsPerImage),
      tfjsBackend: tf.getBackend(),
      batches: timings,
      maxAbsDiff,
    };
  } finally {
    await onnx.dispose();
    ownedTfjs?.dispose();
  }
}

async function main() {
  const photosDir = path.resolve(projectRoot, '../shared/datasets/imagewoof/val');
  if (!existsSync(photosDir)) {
    console.log(`reference: skipped, it needs ${path.relative(projectRoot, photosDir)} (absent)`);
    return;
  }
  const config = loadConfig();
  await selectBackend((config.TF_BACKEND ?? 'wasm') as BackendName);
  const { modelConfig, modelDir } = await defaultReferenceModel();
  const spec = imageSpecOf(modelConfig);
  const files = readdirSync(photosDir)
    .sort()
    .map((synset) => path.join(photosDir, synset, readdirSync(path.join(photosDir, synset)).sort()[0]!))
    .slice(0, 8);
  const limits = imageLimitsFromConfig(config);
  const images = await Promise.all(
    files.map(async (f) => (await prepareModelInput(await readFile(f), spec, limits)).input),
  );
  const result = await measureReference({ images, modelDir, modelConfig });
  console.log(
    `reference: ${result.engine} vs tfjs-${result.tfjsBackend} (max |diff| ${result.maxAbsDiff.toExponential(2)})`,
  );
  console.log('batch  onnx ms/img  tfjs ms/img  ratio');
  for (const t of result.batches) {
    console.log(
      `${String(t.batch).padStart(5)}  ${t.onnxMsPerImage.toFixed(2).padStart(11)}  ${t.tfjsMsPerImage
        .toFixed(2)
        .padStart(11)}  ${(t.tfjsMsPerImage / t.onnxMsPerImage).toFixed(1).padStart(5)}`,
    );
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}

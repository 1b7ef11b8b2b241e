/**
 * `npm run bench:backbones [-- --entries a,b,c] [--out bench/backbones.json]`
 *
 * Every backbone entry (and ensemble) compared in one run, on ../shared's photos:
 * - accuracy of the untrained head (the entry's ImageNet dog rows) on imagewoof/val, top-1 and top-5;
 * - accuracy after the loop: the trainer the learning loop runs (trainCandidate) on the labels of all 1,000
 *   imagewoof/train photos, on imagewoof/val and on otherbreeds (breeds nobody labelled, to see forgetting);
 * - a breed hidden from the initial head, learnt from 20 labels: mean val recall over all ten imagewoof breeds;
 * - speed through the engine the bot would serve with (EMBED_ENGINE=auto: ONNX Runtime when it converts and agrees,
 *   else tfjs workers; the float graph): p50 ms per photo at batch 1, photos/s at batch 8, and the same through the
 *   .tflite file's integer graph (ONNX_PRECISION=int8, what auto serves on a CPU with VNNI) where the entry has one.
 *   Accuracy comes from the float embeddings; bench/int8-qdq.ts and bench:loop (which serves what auto chooses)
 *   measure the integer graph's;
 * - each of the above with flip averaging (the mean of the photo's and its mirror image's embeddings), whose
 *   latency is measured as the batch of two it costs.
 * Ensembles reuse their members' embeddings (the ensemble's embedding is exactly their concatenation) but are
 * timed through their own engine.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/config.ts';
import { prepareModelInput } from '../src/images/decode.ts';
import { loadBackbone, type Backbone } from '../src/model/backbone.ts';
import { selectBackend } from '../src/model/backend.ts';
import { breedNames } from '../src/model/breed-names.ts';
import { baseHeadOf } from '../src/model/classifier.ts';
import { mirrored } from '../src/model/embedding-transforms.ts';
import { selectEmbeddingEngine } from '../src/model/inference/select-engine.ts';
import { int8Unavailable } from '../src/model/onnx/onnx-precision.ts';
import {
  imageSpecOf,
  loadModelConfig,
  modelConfigPathFor,
  type ModelConfig,
} from '../src/model/model-config.ts';
import type { BreedHead, ModelInput } from '../src/model/types.ts';
import { evaluateHead, type LabelledPoint } from '../src/training/evaluate.ts';
import { trainCandidate } from '../src/training/pipeline.ts';
import type { LabelledEmbedding } from '../src/training/types.ts';

const DEFAULT_ENTRIES = [
  'mobilenet_v1_0.75_224',
  'mobilenet_edgetpu_224_1.0',
  'mobilenet_v2_1.0_224_quant',
  'ensemble_edgetpu_v2',
  'ensemble_edgetpu_v2_v1',
];
const { values: args } = parseArgs({
  options: {
    entries: { type: 'string', default: DEFAULT_ENTRIES.join(',') },
    out: { type: 'string', default: 'bench/backbones.json' },
    'hidden-labels': { type: 'string', default: '20' },
  },
});
const HIDDEN_LABELS = Number(args['hidden-labels']);
const modelsDir = path.join(projectRoot, 'models');
const datasets = path.resolve(projectRoot, '../shared/datasets');
const dirs = {
  train: path.join(datasets, 'imagewoof/train'),
  val: path.join(datasets, 'imagewoof/val'),
  other: path.join(datasets, 'otherbreeds'),
};
if (!Object.values(dirs).every(existsSync)) {
  console.error(
    'bench:backbones needs ../shared/datasets/imagewoof and ../shared/datasets/otherbreeds (absent)',
  );
  process.exit(1);
}
const say = (text: string) => process.stderr.write(`${text}\n`);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

interface Photo {
  file: string;
  synset: string;
  split: keyof typeof dirs;
}
function photosOf(split: keyof typeof dirs): Photo[] {
  const root = dirs[split];
  return readdirSync(root)
    .filter((d) => statSync(path.join(root, d)).isDirectory())
    .sort()
    .flatMap((synset) =>
      readdirSync(path.join(root, synset))
        .filter((f) => /\.(jpe?g|png)$/i.test(f))
        .sort()
        .map((f) => ({ file: path.join(root, synset, f), synset, split })),
    );
}
const photos = [...photosOf('train'), ...photosOf('val'), ...photosOf('other')];

/** Embeddings of every photo, plain and mirrored, through one network's serving engine. */
interface Embedded {
  plain: Float32Array[];
  mirrored: Float32Array[];
}

const backend = await selectBackend((process.env.TF_BACKEND as never) ?? 'wasm');
const cacheRoot = path.join(modelsDir, 'cache');
const load = (config: ModelConfig) => loadBackbone({ config, cacheRoot, baseDir: projectRoot });

async function startEngine(backbone: Backbone, int8 = false) {
  return selectEmbeddingEngine({
    setting: int8 ? 'onnx' : 'auto',
    backbone,
    backendName: backend.name,
    modelConfigPath: backbone.config.configPath,
    ...(int8 ? { onnxPrecision: 'int8' as const } : {}),
  });
}

/** The integer graph's speed, where the entry is a .tflite file of its own (see onnx-precision.ts). */
async function timeInt8(backbone: Backbone, sample: ModelInput[]) {
  if (int8Unavailable(backbone)) return undefined;
  const selection = await startEngine(backbone, true);
  try {
    return await timeEngine((inputs) => selection.engine.embed(inputs), sample);
  } finally {
    await selection.engine.dispose();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeEngine(embed: (inputs: ModelInput[]) => Promise<Float32Array[]>, sample: ModelInput[]) {
  for (let i = 0; i < 3; i++) await embed([sample[i]!]);
  const single: number[] = [];
  const pair: number[] = [];
  for (let i = 0; i < 30; i++) {
    const input = sample[i % sample.length]!;
    let t = performance.now();
    await embed([input]);
    single.push(performance.now() - t);
    t = performance.now();
    await embed([input, mirrored(input)]);
    pair.push(performance.now() - t);
  }
  const rounds = 8;
  const t = performance.now();
  for (let r = 0; r < rounds; r++) await embed(sample.slice(r * 8, r * 8 + 8));
  const perSecond = (rounds * 8) / ((performance.now() - t) / 1000);
  return { p50Ms: median(single), flipP50Ms: median(pair), imagesPerSecondBatch8: perSecond };
}

async function embedAll(backbone: Backbone, embed: (inputs: ModelInput[]) => Promise<Float32Array[]>) {
  const spec = imageSpecOf(backbone.config);
  const out: Embedded = { plain: [], mirrored: [] };
  for (let start = 0; start < photos.length; start += 16) {
    const inputs = await Promise.all(
      photos
        .slice(start, start + 16)
        .map(async (p) => (await prepareModelInput(await readFile(p.file), spec)).input),
    );
    const rows = await embed([...inputs, ...inputs.map(mirrored)]);
    out.plain.push(...rows.slice(0, inputs.length));
    out.mirrored.push(...rows.slice(inputs.length));
    if (start % 320 === 0)
      say(`  ${backbone.config.id}: ${start + inputs.length}/${photos.length} photos embedded`);
  }
  return out;
}

const entries = args.entries.split(',').map((id) => loadModelConfig(modelConfigPathFor(modelsDir, id)));
const networkIds = [...new Set(entries.flatMap((e) => (e.format === 'ensemble' ? e.members : [e.id])))];
const embedded = new Map<string, Embedded>();
const timing = new Map<
  string,
  Awaited<ReturnType<typeof timeEngine>> & {
    engine: string;
    fallback?: string;
    int8?: Awaited<ReturnType<typeof timeEngine>>;
  }
>();

async function measureEntry(config: ModelConfig): Promise<void> {
  const backbone = await load(config);
  const selection = await startEngine(backbone);
  try {
    const embed = (inputs: ModelInput[]) => selection.engine.embed(inputs);
    if (config.format !== 'ensemble' && !embedded.has(config.id)) {
      const t = performance.now();
      embedded.set(config.id, await embedAll(backbone, embed));
      say(`  ${config.id}: all photos in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    }
    const spec = imageSpecOf(config);
    const sample = await Promise.all(
      photos
        .filter((p) => p.split === 'val')
        .filter((_, i) => i % 6 === 0)
        .slice(0, 64)
        .map(async (p) => (await prepareModelInput(await readFile(p.file), spec)).input),
    );
    const float = await timeEngine(embed, sample);
    await selection.engine.dispose();
    const int8 = await timeInt8(backbone, sample);
    timing.set(config.id, {
      engine: `${selection.engine.kind} (${selection.engine.backendName})`,
      ...(selection.fallbackReason ? { fallback: selection.fallbackReason } : {}),
      ...float,
      ...(int8 ? { int8 } : {}),
    });
  } finally {
    await selection.engine.dispose();
    backbone.dispose();
  }
}

for (const id of networkIds) {
  say(`${id}: embedding ${photos.length} photos (plain and mirrored) and timing`);
  await measureEntry(loadModelConfig(modelConfigPathFor(modelsDir, id)));
}
for (const entry of entries.filter((e) => e.format === 'ensemble')) {
  say(`${entry.id}: timing`);
  await measureEntry(entry);
}

/** The entry's embeddings: a network's own, or its members' concatenated; flip: the mean with the mirror image's. */
function embeddingsOf(config: ModelConfig, flip: boolean): Float32Array[] {
  const ids = config.format === 'ensemble' ? config.members : [config.id];
  const parts = ids.map((id) => embedded.get(id)!);
  return photos.map((_, i) => {
    const rows = parts.map((p) =>
      flip ? p.plain[i]!.map((v, j) => (v + p.mirrored[i]![j]!) / 2) : p.plain[i]!,
    );
    const out = new Float32Array(rows.reduce((s, r) => s + r.length, 0));
    let at = 0;
    for (const r of rows) {
      out.set(r, at);
      at += r.length;
    }
    return out;
  });
}

const withoutBreed = (head: BreedHead, breed: string): BreedHead => {
  const keep = head.breeds.map((b, i) => (b === breed ? -1 : i)).filter((i) => i >= 0);
  const k = keep.length;
  const kernel = new Float32Array(head.inputDim * k);
  for (let d = 0; d < head.inputDim; d++) {
    keep.forEach((j, n) => (kernel[d * k + n] = head.kernel[d * head.breeds.length + j]!));
  }
  return {
    breeds: keep.map((i) => head.breeds[i]!),
    inputDim: head.inputDim,
    kernel,
    bias: Float32Array.from(keep, (i) => head.bias[i]!),
  };
};

async function accuracyOf(config: ModelConfig, flip: boolean) {
  const backbone = await load(config);
  const head = baseHeadOf(backbone);
  const { labels } = backbone.classifier;
  const names = new Map(
    breedNames(labels.synonyms, config.dogClasses, labels.synsets).map((b) => [b.synset!, b.name]),
  );
  backbone.dispose();
  const embeddings = embeddingsOf(config, flip);
  const rows = photos.map((p, i) => ({ ...p, breed: names.get(p.synset)!, embedding: embeddings[i]! }));
  const points = (
    split: Photo['split'],
    filter: (r: (typeof rows)[number]) => boolean = () => true,
  ): LabelledPoint[] =>
    rows
      .filter((r) => r.split === split && filter(r))
      .map((r) => ({ embedding: r.embedding, breed: r.breed }));
  const labelsOf = (list: typeof rows): LabelledEmbedding[] =>
    list.map((r) => ({
      imageId: r.file,
      sha256: createSha(r.file),
      breed: r.breed,
      weight: 1,
      embedding: r.embedding,
    }));
  const id = flip ? `${config.id}+flip` : config.id;
  const train = rows.filter((r) => r.split === 'train');
  const base = { activeVersion: `base-${id}`, backboneId: id };
  const before = await evaluateHead(head, points('val'));
  const otherBefore = await evaluateHead(head, points('other'));
  const full = await trainCandidate({ ...base, activeHead: head, labels: labelsOf(train) });
  const after = await evaluateHead(full.head, points('val'));
  const otherAfter = await evaluateHead(full.head, points('other'));
  const hidden: { breed: string; recall: number }[] = [];
  for (const breed of [...new Set(train.map((r) => r.breed))].sort()) {
    const result = await trainCandidate({
      ...base,
      activeHead: withoutBreed(head, breed),
      labels: labelsOf([
        ...train.filter((r) => r.breed !== breed),
        ...train.filter((r) => r.breed === breed).slice(0, HIDDEN_LABELS),
      ]),
    });
    hidden.push({
      breed,
      recall: (
        await evaluateHead(
          result.head,
          points('val', (r) => r.breed === breed),
        )
      ).top1,
    });
  }
  return {
    id,
    untrained: { top1: before.top1, top5: before.top5 },
    afterLoop: { top1: after.top1, top5: after.top5, promoted: full.decision.promote },
    otherBreeds: { before: otherBefore.top1, after: otherAfter.top1 },
    hiddenBreedMeanRecall: hidden.reduce((s, h) => s + h.recall, 0) / hidden.length,
    hiddenBreeds: hidden,
  };
}

function createSha(file: string): string {
  return createHash('sha256').update(path.relative(datasets, file)).digest('hex');
}

const results = [];
for (const entry of entries) {
  for (const flip of [false, true]) {
    say(`${entry.id}${flip ? ' + flip' : ''}: training and evaluating`);
    const accuracy = await accuracyOf(entry, flip);
    const speed = timing.get(entry.id)!;
    results.push({
      ...accuracy,
      entry: entry.id,
      flip,
      embeddingDim: embeddingsOf(entry, false)[0]!.length,
      engine: speed.engine,
      ...(speed.fallback ? { engineFallback: speed.fallback } : {}),
      msPerPhoto: flip ? speed.flipP50Ms : speed.p50Ms,
      photosPerSecondBatch8: flip ? speed.imagesPerSecondBatch8 / 2 : speed.imagesPerSecondBatch8,
      ...(speed.int8
        ? {
            int8MsPerPhoto: flip ? speed.int8.flipP50Ms : speed.int8.p50Ms,
            int8PhotosPerSecondBatch8: speed.int8.imagesPerSecondBatch8 / (flip ? 2 : 1),
          }
        : {}),
    });
  }
}

const report = {
  date: new Date().toISOString(),
  machine: { cpus: os.availableParallelism(), backend: backend.name },
  photos: { train: photosOf('train').length, val: photosOf('val').length, other: photosOf('other').length },
  hiddenBreedLabels: HIDDEN_LABELS,
  results,
};
writeFileSync(path.resolve(projectRoot, args.out), `${JSON.stringify(report, null, 2)}\n`);
console.log(
  '| backbone | dim | untrained val top-1 | after loop val top-1 | other breeds before → after | hidden-breed recall | ms/photo (batch 1) | photos/s (batch 8) | int8: ms/photo, photos/s | engine |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.id} | ${r.embeddingDim} | ${pct(r.untrained.top1)} | ${pct(r.afterLoop.top1)} | ${pct(r.otherBreeds.before)} → ${pct(r.otherBreeds.after)} | ${pct(r.hiddenBreedMeanRecall)} | ${r.msPerPhoto.toFixed(1)} | ${r.photosPerSecondBatch8.toFixed(0)} | ${r.int8MsPerPhoto === undefined ? 'none' : `${r.int8MsPerPhoto.toFixed(1)}, ${r.int8PhotosPerSecondBatch8!.toFixed(0)}`} | ${r.engine} |`,
  );
}
say(`wrote ${args.out}`);

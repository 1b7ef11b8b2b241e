/**
 * `npm run eval -- <dir> [--json] [--model <version|dir>] [--png <file>]`
 * Accuracy of a breed-head version on a folder of <imagenet-synset>/<photo> files.
 */
import './cli-logging.ts';
import { readdirSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { confusionMatrix } from '../charts/index.ts';
import { loadConfig } from '../config.ts';
import { imageLimitsFromConfig, prepareModelInput, type ImageLimits } from '../images/index.ts';
import { breedNames } from '../model/breed-names.ts';
import type { BreedClassifier } from '../model/classifier.ts';
import type { ModelInput } from '../model/types.ts';
import { failAndExit, parseCliArgs } from './args.ts';
import { loadCliClassifier } from './load-classifier.ts';

const usage = `Usage: npm run eval -- <dir> [--json] [--model <version|dir>] [--batch <n>] [--png <file>]

  <dir>              a folder of <imagenet-synset>/*.jpg (e.g. ../shared/datasets/imagewoof/val)
  --json             print only the JSON report on stdout
  --model <v|dir>    evaluate this breed-head version instead of the base head
  --batch <n>        images per backbone call (default 32)
  --png <file>       also write the confusion matrix of the most-confused breeds as a PNG
  -h, --help         show this help`;

const imageFile = /\.(jpe?g|png|webp)$/i;

export interface LabelledFile {
  file: string;
  synset: string;
  /** Readable name of the true breed. */
  breed: string;
}

export interface EvalReport {
  n: number;
  top1: number;
  top5: number;
  perClass: Record<string, { synset: string; n: number; top1: number; top5: number }>;
  /** [actual, predicted, count], most frequent first (like fastai's most_confused). */
  mostConfused: [string, string, number][];
  imagesPerSecond: number;
  backend: string;
  modelVersion: string;
  /** Photos the not-a-dog verdict rejected (still scored by their top 5). */
  notDogVerdicts: number;
  /** Files that could not be decoded (not scored). */
  unreadable: { file: string; error: string }[];
}

/** Lists <dir>/<synset>/<image> files and names each one's true breed from the model's labels. */
export function listLabelledFiles(dir: string, synsetToBreed: Map<string, string>): LabelledFile[] {
  const folders = readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .sort();
  if (folders.length === 0) throw new Error(`${dir} has no <synset> sub-folders`);
  return folders.flatMap((synset) => {
    const breed = synsetToBreed.get(synset);
    if (!breed) throw new Error(`folder ${synset} in ${dir} is not an ImageNet dog synset this model knows`);
    return readdirSync(path.join(dir, synset))
      .filter((f) => imageFile.test(f))
      .sort()
      .map((f) => ({ file: path.join(dir, synset, f), synset, breed }));
  });
}

export async function evaluate(
  files: LabelledFile[],
  classifier: BreedClassifier,
  options: { batch: number; backend: string; limits?: ImageLimits },
): Promise<EvalReport> {
  const { config } = classifier.backbone;
  const spec = { size: config.inputSize, ...config.normalisation };
  const decode = (chunk: LabelledFile[]) =>
    Promise.all(
      chunk.map(async (f) => {
        try {
          return { f, input: (await prepareModelInput(await readFile(f.file), spec, options.limits)).input };
        } catch (err) {
          return { f, error: (err as Error).message };
        }
      }),
    );

  const perClass = new Map<string, { synset: string; n: number; top1: number; top5: number }>();
  const confused = new Map<string, number>();
  const unreadable: EvalReport['unreadable'] = [];
  let n = 0;
  let top1 = 0;
  let top5 = 0;
  let notDogVerdicts = 0;

  const started = performance.now();
  let next = decode(files.slice(0, options.batch));
  for (let start = 0; start < files.length; start += options.batch) {
    const decoded = await next;
    // Decoding runs on sharp's threads while the backbone works on this batch.
    next = decode(files.slice(start + options.batch, start + 2 * options.batch));
    const ok = decoded.filter((d): d is { f: LabelledFile; input: ModelInput } => 'input' in d);
    for (const d of decoded) if ('error' in d) unreadable.push({ file: d.f.file, error: d.error! });
    const results = await classifier.classifyMany(ok.map((d) => d.input));
    results.forEach((r, i) => {
      const { breed, synset } = ok[i]!.f;
      const cls = perClass.get(breed) ?? { synset, n: 0, top1: 0, top5: 0 };
      perClass.set(breed, cls);
      const predicted = r.top5[0]!.breed;
      const hit1 = predicted === breed;
      const hit5 = r.top5.some((b) => b.breed === breed);
      n++;
      cls.n++;
      if (hit1) {
        top1++;
        cls.top1++;
      }
      if (hit5) {
        top5++;
        cls.top5++;
      }
      if (!r.isDog) notDogVerdicts++;
      if (!hit1) {
        const key = JSON.stringify([breed, predicted]);
        confused.set(key, (confused.get(key) ?? 0) + 1);
      }
    });
  }
  await next;
  const seconds = (performance.now() - started) / 1000;

  const mostConfused = [...confused.entries()]
    .map(([key, count]) => [...(JSON.parse(key) as [string, string]), count] as [string, string, number])
    .sort((a, b) => b[2] - a[2] || a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]));
  return {
    n,
    top1: n ? top1 / n : 0,
    top5: n ? top5 / n : 0,
    perClass: Object.fromEntries(
      [...perClass.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([breed, c]) => [breed, { synset: c.synset, n: c.n, top1: c.top1 / c.n, top5: c.top5 / c.n }]),
    ),
    mostConfused,
    imagesPerSecond: seconds > 0 ? n / seconds : 0,
    backend: options.backend,
    modelVersion: classifier.modelVersion,
    notDogVerdicts,
    unreadable,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function renderReport(r: EvalReport): string {
  const width = Math.max(5, ...Object.keys(r.perClass).map((b) => b.length));
  const lines = [
    `model ${r.modelVersion} on ${r.backend}: ${r.n} photos, ${r.imagesPerSecond.toFixed(1)} images/s`,
    `top-1 ${pct(r.top1)}   top-5 ${pct(r.top5)}   not-a-dog verdicts: ${r.notDogVerdicts}`,
    '',
    `${'breed'.padEnd(width)}  ${'n'.padStart(4)}  ${'top-1'.padStart(6)}  ${'top-5'.padStart(6)}`,
    ...Object.entries(r.perClass).map(
      ([breed, c]) =>
        `${breed.padEnd(width)}  ${String(c.n).padStart(4)}  ${pct(c.top1).padStart(6)}  ${pct(c.top5).padStart(6)}`,
    ),
    '',
    'most confused (actual -> predicted: count)',
    ...r.mostConfused.slice(0, 10).map(([a, p, c]) => `  ${a} -> ${p}: ${c}`),
  ];
  if (r.unreadable.length) {
    lines.push(
      '',
      `unreadable files (${r.unreadable.length}):`,
      ...r.unreadable.map((u) => `  ${u.file}: ${u.error}`),
    );
  }
  return lines.join('\n') + '\n';
}

/** The confusion matrix of an eval run as a PNG; the diagonal holds each breed's photos named right. */
export async function writeConfusionPng(report: EvalReport, file: string): Promise<void> {
  const correct = Object.fromEntries(
    Object.entries(report.perClass).map(([breed, c]) => [breed, Math.round(c.n * c.top1)]),
  );
  const chart = await confusionMatrix(report.mostConfused, { correct });
  await writeFile(file, chart.png);
  process.stderr.write(`wrote ${file}: ${chart.alt}\n`);
}

async function main() {
  const { values, positionals } = parseCliArgs(
    process.argv.slice(2),
    {
      json: { type: 'boolean' },
      model: { type: 'string' },
      batch: { type: 'string' },
      png: { type: 'string' },
    },
    usage,
  );
  const [dir, ...extra] = positionals;
  const batch = Number(values.batch ?? 32);
  if (!dir || extra.length || !Number.isInteger(batch) || batch < 1) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  const config = loadConfig();
  const { runtime, classifier } = await loadCliClassifier(config, values.model);
  const { synonyms, synsets } = runtime.backbone.classifier.labels;
  if (!synsets) throw new Error('the model config names no synsets file, so synset folders cannot be mapped');
  const dogs = breedNames(synonyms, runtime.modelConfig.dogClasses, synsets);
  const synsetToBreed = new Map(dogs.map((b) => [b.synset!, b.name]));
  const files = listLabelledFiles(path.resolve(dir), synsetToBreed);
  const report = await evaluate(files, classifier, {
    batch,
    backend: runtime.servingBackend,
    limits: imageLimitsFromConfig(config),
  });
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : renderReport(report));
  if (values.png) await writeConfusionPng(report, values.png);
  runtime.dispose();
}

main().catch((err) => failAndExit(err));

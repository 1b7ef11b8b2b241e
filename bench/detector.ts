/**
 * `npm run bench:detector [-- --out bench/detector.json] [--timed 40]`
 *
 * What the dog detector (models/centernet_coco.detector.json) is worth and what it costs, in one run, on
 * ../shared's imagewoof/val and otherbreeds photos, with the serving backbone's base head (BACKBONE, default entry):
 * - top-1 of the whole photo, of the largest dog's crop, of the two averaged (probabilities, and embeddings), and of
 *   "crop only when the dog covers less than a share of the photo"; with no dog found the crop is the whole photo;
 * - how often a dog is found, at the entry's score threshold and a few others (from the same model output);
 * - detector ms per photo on the tfjs backend in use (wasm by default);
 * - the detector's ms per photo with the whole graph in tfjs and with its trunk on ONNX Runtime (DETECTOR_ENGINE),
 *   and on how many photos the two find the same number of dogs;
 * - classify p50 (decode + classify) to the first answer without and with the detector as the bot serves it with
 *   DETECTOR=on (answer first, then the bounded detector in its worker thread and each crop), requests back to back
 *   in the same run, and their ratio (issue 12's budget: at most 1.5x); p50 to the per-dog answer of two-dog
 *   photos; and the detector awaited before answering, for comparison (bench/detector-speed.ts).
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, projectRoot } from '../src/config.ts';
import {
  cropDog,
  dogsIn,
  loadDetectorConfig,
  loadDogDetector,
  type DogBox,
  type DogDetection,
  WorkerDogDetector,
} from '../src/detection/index.ts';
import { prepareModelInput } from '../src/images/decode.ts';
import { breedNames, headProbabilities, loadClassifierRuntime } from '../src/model/index.ts';
import { argmax } from '../src/model/head-math.ts';
import { measureServingSpeed, twoDogCollage } from './detector-speed.ts';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench/detector.json' },
    timed: { type: 'string', default: '40' },
  },
});
const datasets = path.resolve(projectRoot, '../shared/datasets');
const splits = { val: path.join(datasets, 'imagewoof/val'), other: path.join(datasets, 'otherbreeds') };
if (!Object.values(splits).every(existsSync)) {
  console.error(
    'bench:detector needs ../shared/datasets/imagewoof/val and ../shared/datasets/otherbreeds (absent)',
  );
  process.exit(1);
}
const say = (text: string) => process.stderr.write(`${text}\n`);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Split = keyof typeof splits;
const photosOf = (split: Split) =>
  readdirSync(splits[split])
    .filter((d) => statSync(path.join(splits[split], d)).isDirectory())
    .sort()
    .flatMap((synset) =>
      readdirSync(path.join(splits[split], synset))
        .filter((f) => /\.(jpe?g|png)$/i.test(f))
        .sort()
        .map((f) => ({ file: path.join(splits[split], synset, f), synset, split })),
    );
const photos = [...photosOf('val'), ...photosOf('other')];

const config = loadConfig({ TF_BACKEND: 'wasm', ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
const runtime = await loadClassifierRuntime(config);
const detectorConfig = loadDetectorConfig(path.join(config.modelsDir, 'centernet_coco.detector.json'));
const detectorSource = {
  config: detectorConfig,
  cacheRoot: path.join(config.modelsDir, 'cache'),
  baseDir: projectRoot,
};
// The accuracy figures come from the whole graph in tfjs; the ONNX trunk (DETECTOR_ENGINE) is timed beside it.
const detector = await loadDogDetector({ ...detectorSource, engine: 'tfjs' });
const onnxDetector = await loadDogDetector({ ...detectorSource, engine: 'onnx' }).catch((err: unknown) => {
  say(`no ONNX detector timing: ${(err as Error).message}`);
  return undefined;
});
const { classifier, baseHead: head } = runtime;
const { labels } = runtime.backbone.classifier;
const breedOfSynset = new Map(
  breedNames(labels.synonyms, runtime.modelConfig.dogClasses, labels.synsets).map((b) => [b.synset!, b.name]),
);

const largest = (dogs: DogBox[]) =>
  dogs.reduce<DogBox | undefined>(
    (a, b) => (!a || b.width * b.height > a.width * a.height ? b : a),
    undefined,
  );
const inputOf = async (bytes: Uint8Array) => (await prepareModelInput(bytes, runtime.imageSpec)).input;

interface Row {
  split: Split;
  truth: string;
  whole: Float64Array;
  crop: Float64Array;
  meanEmbedding: Float64Array;
  dogs: number;
  /** The largest dog's share of the photo's area (0 when none was found). */
  share: number;
  /** Whether a dog is found at each score threshold tried, from the same model output. */
  found: Record<string, boolean>;
}
const thresholds = [0.15, 0.2, 0.25, 0.3, 0.35];
const rows: Row[] = [];
const detectMs: number[] = [];
const onnxMs: number[] = [];
let sameDogCount = 0;
for (const [i, photo] of photos.entries()) {
  const bytes = await readFile(photo.file);
  const t = performance.now();
  const output = await detector.readOutput(bytes);
  detectMs.push(performance.now() - t);
  const detection: DogDetection = dogsIn(output, detectorConfig);
  if (onnxDetector) {
    const started = performance.now();
    const onnxDogs = dogsIn(await onnxDetector.readOutput(bytes), detectorConfig).dogs;
    onnxMs.push(performance.now() - started);
    if (onnxDogs.length === detection.dogs.length) sameDogCount++;
  }
  const dog = largest(detection.dogs);
  const whole = await inputOf(bytes);
  const crop = dog ? await inputOf(await cropDog(bytes, detection, dog)) : whole;
  const [we, ce] = await classifier.embed([whole, crop]);
  const mean = we!.map((v, j) => (v + ce![j]!) / 2);
  rows.push({
    split: photo.split,
    truth: breedOfSynset.get(photo.synset)!,
    whole: headProbabilities(head, we!),
    crop: headProbabilities(head, ce!),
    meanEmbedding: headProbabilities(head, mean),
    dogs: detection.dogs.length,
    share: dog ? (dog.width * dog.height) / (detection.width * detection.height) : 0,
    found: Object.fromEntries(
      thresholds.map((s) => [
        String(s),
        dogsIn(output, { ...detectorConfig, scoreThreshold: s }).dogs.length > 0,
      ]),
    ),
  });
  if ((i + 1) % 100 === 0) say(`  ${i + 1}/${photos.length} photos`);
}

type Rule = (r: Row) => Float64Array;
const averaged: Rule = (r) => r.whole.map((p, j) => (p + r.crop[j]!) / 2);
const rules: Record<string, Rule> = {
  whole: (r) => r.whole,
  crop: (r) => r.crop,
  'averaged probabilities': averaged,
  'averaged embeddings': (r) => r.meanEmbedding,
  ...Object.fromEntries(
    [0.25, 0.5, 0.75].map((s) => [
      `crop if dog < ${s * 100}% of photo, else whole`,
      (r: Row) => (r.share > 0 && r.share < s ? r.crop : r.whole),
    ]),
  ),
  ...Object.fromEntries(
    [0.25, 0.5, 0.75].map((s) => [
      `averaged if dog < ${s * 100}% of photo, else whole`,
      (r: Row) => (r.share > 0 && r.share < s ? averaged(r) : r.whole),
    ]),
  ),
};
const top1 = (rule: Rule, split: Split) => {
  const of = rows.filter((r) => r.split === split);
  return of.filter((r) => head.breeds[argmax(rule(r))] === r.truth).length / of.length;
};
const accuracy = Object.entries(rules).map(([name, rule]) => ({
  rule: name,
  val: top1(rule, 'val'),
  other: top1(rule, 'other'),
}));
const foundRate = (split: Split) =>
  Object.fromEntries(
    thresholds.map((s) => {
      const of = rows.filter((r) => r.split === split);
      return [String(s), of.filter((r) => r.found[String(s)]).length / of.length];
    }),
  );

// Speed: as the bot serves, answer first and the detector after (bench/detector-speed.ts).
say('timing classify without and with the detector');
const timedPhotos = photos
  .filter((_, i) => i % Math.floor(photos.length / Number(args.timed)) === 0)
  .slice(0, Number(args.timed));
const timedBytes = await Promise.all(timedPhotos.map((p) => readFile(p.file)));
// Every fourth request a photo with two dogs: two photos in which the detector found one dog each, side by side.
const oneDog = photos.filter((_, i) => rows[i]!.dogs === 1);
const sequence = await Promise.all(
  timedBytes.map(async (bytes, i) => {
    if (i % 4 !== 3) return { bytes, twoDogs: false };
    const k = (i - 3) / 2;
    const [a, b] = await Promise.all(
      [oneDog[k % oneDog.length]!, oneDog[(k + 1) % oneDog.length]!].map((p) => readFile(p.file)),
    );
    return { bytes: await twoDogCollage(a!, b!), twoDogs: true };
  }),
);
const served = await WorkerDogDetector.start({
  config: detectorConfig,
  files: detector.files,
  backend: runtime.backend.name,
  engine: config.DETECTOR_ENGINE,
  cacheRoot: detectorSource.cacheRoot,
});
const serving = await measureServingSpeed({
  classifier,
  worker: served,
  answer: async (bytes) => classifier.classify(await inputOf(bytes)),
  sequence,
});
const speed = {
  detectorMsPerPhotoP50: median(detectMs),
  ...(onnxDetector ? { onnxDetectorMsPerPhotoP50: median(onnxMs), onnxSameDogCount: sameDogCount } : {}),
  servedEngine: served.engine,
  ...serving,
};

const report = {
  date: new Date().toISOString(),
  machine: {
    cpus: os.availableParallelism(),
    backend: runtime.backend.name,
    serving: runtime.servingBackend,
  },
  backbone: runtime.modelConfig.id,
  detector: {
    id: detectorConfig.id,
    scoreThreshold: detectorConfig.scoreThreshold,
    origin: detector.files.origin,
  },
  photos: {
    val: rows.filter((r) => r.split === 'val').length,
    other: rows.filter((r) => r.split === 'other').length,
  },
  dogFound: { val: foundRate('val'), other: foundRate('other') },
  severalDogs: {
    val: rows.filter((r) => r.split === 'val' && r.dogs > 1).length,
    other: rows.filter((r) => r.split === 'other' && r.dogs > 1).length,
  },
  accuracy,
  speed,
};
writeFileSync(path.resolve(projectRoot, args.out), `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `backbone ${report.backbone} (${report.machine.serving}), detector on ${report.machine.backend}, ${report.machine.cpus} cores`,
);
console.log(
  `dog found (score >= ${detectorConfig.scoreThreshold}): val ${pct(foundRate('val')[String(detectorConfig.scoreThreshold)]!)}, other ${pct(foundRate('other')[String(detectorConfig.scoreThreshold)]!)}; by threshold: ${thresholds.map((s) => `${s}: ${pct(foundRate('val')[String(s)]!)}`).join(', ')} (val)`,
);
console.log(
  `several dogs found: val ${report.severalDogs.val}/${report.photos.val}, other ${report.severalDogs.other}/${report.photos.other}`,
);
console.log('| one-dog rule | imagewoof/val top-1 | otherbreeds top-1 |');
console.log('|---|---|---|');
for (const a of accuracy) console.log(`| ${a.rule} | ${pct(a.val)} | ${pct(a.other)} |`);
console.log(
  `detector ${speed.detectorMsPerPhotoP50.toFixed(0)} ms/photo (p50, ${report.machine.backend}, in this thread, ${detectMs.length} photos)` +
    (speed.onnxDetectorMsPerPhotoP50 === undefined
      ? ''
      : `; trunk on ONNX Runtime (1 thread) + tail in tfjs ${speed.onnxDetectorMsPerPhotoP50.toFixed(0)} ms/photo ` +
        `(${(speed.detectorMsPerPhotoP50 / speed.onnxDetectorMsPerPhotoP50).toFixed(2)}x faster), the same number of dogs on ${speed.onnxSameDogCount}/${detectMs.length} photos`),
);
console.log(
  `served (DETECTOR_ENGINE=${config.DETECTOR_ENGINE}): ${served.engine.name} (${served.engine.reason})`,
);
console.log(
  `classify p50 to the first answer: ${speed.firstAnswerP50MsOff.toFixed(0)} ms detector off, ${speed.firstAnswerP50MsOn.toFixed(0)} ms on (${speed.ratio.toFixed(2)}x; budget 1.5x), ${speed.requests} requests each, back to back`,
);
console.log(
  `to the per-dog answer (two-dog photos), back to back: p50 ${speed.toPerDogAnswerP50Ms.toFixed(0)} ms; ${speed.collagesAnswered}/${speed.collages} got it, ${speed.collagesSkipped} kept the whole-photo answer; ${speed.skippedByQueueBound}/${speed.requests} photos skipped by the queue bound (${speed.queueBound})`,
);
console.log(
  `to the per-dog answer, one request at a time: p50 ${speed.toPerDogAnswerAloneP50Ms.toFixed(0)} ms (${speed.collagesAnsweredAlone}/${speed.collages} two-dog photos found two dogs)`,
);
console.log(
  `for comparison, the detector awaited before answering: p50 ${speed.awaitedP50Ms.toFixed(0)} ms (${speed.awaitedRatio.toFixed(2)}x)`,
);
await detector.dispose();
await onnxDetector?.dispose();
await served.dispose();
await runtime.close();

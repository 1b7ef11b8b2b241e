/**
 * `npm run bench:loop -- [--confirm-rate 1] [--sparse-confirm-rate 0.5] [--unsure 0.5] [--hidden all|<breed>] [--out bench/loop.json]`
 *
 * The learning loop measured end to end through the real application services (SQLite in a temp folder, the
 * serving model, the same label functions reactions and /label use, the LearningLoop with its worker):
 * 1. simulated people stream ../shared/datasets/imagewoof/train through classify; on a wrong or unsure guess
 *    (top-1 below --unsure) someone gives the true breed (a reaction when it is among the five, else /label),
 *    and a share (--confirm-rate, default all: every train photo ends up labelled) of the confident right guesses
 *    get confirmed with a 1️⃣ reaction;
 * 2. one retrain; imagewoof val top-1/top-5 and otherbreeds top-1 (nobody labelled those breeds) before → after;
 *    then the same from a fresh database with --sparse-confirm-rate (reported under "sparse"; 0 = skip);
 * 3. new breeds: for each imagewoof breed (or --hidden), a fresh database whose active head lacks that breed,
 *    the same stream with only 20 of its photos, one retrain, that breed's val recall.
 * Writes bench/loop.json; the final version is saved under MODELS_DIR (models/ by default), so
 * `npm run eval -- ../shared/datasets/imagewoof/val --model <finalModel>` evaluates it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createBreedbot, type BreedbotApp } from '../src/app/create.ts';
import { loadConfig, projectRoot, type Config } from '../src/config.ts';
import { imageLimitsFromConfig, prepareModelInput } from '../src/images/decode.ts';
import { recordModelVersion } from '../src/storage/model-versions.ts';
import { startLearning, type RetrainResult } from '../src/learning/index.ts';
import { breedNames } from '../src/model/breed-names.ts';
import { saveHeadVersion } from '../src/model/registry.ts';
import type { BreedHead } from '../src/model/types.ts';
import { createRng, shuffledIndices } from '../src/training/prng.ts';

const { values: args } = parseArgs({
  options: {
    'confirm-rate': { type: 'string', default: '1' },
    'sparse-confirm-rate': { type: 'string', default: '0.5' },
    unsure: { type: 'string', default: '0.5' },
    hidden: { type: 'string', default: 'all' },
    'new-breed-labels': { type: 'string', default: '20' },
    out: { type: 'string', default: 'bench/loop.json' },
  },
});
const CONFIRM = Number(args['confirm-rate']);
const SPARSE_CONFIRM = Number(args['sparse-confirm-rate']);
const UNSURE = Number(args.unsure);
const NEW_BREED_LABELS = Number(args['new-breed-labels']);
/** The hidden breed named in loop.json's "newBreed": fixed in advance (the one the first trainer study used). */
const HEADLINE_HIDDEN = 'n02115641';

const datasets = path.resolve(projectRoot, '../shared/datasets');
const trainDir = path.join(datasets, 'imagewoof/train');
const valDir = path.join(datasets, 'imagewoof/val');
const otherDir = path.join(datasets, 'otherbreeds');
if (![trainDir, valDir, otherDir].every(existsSync)) {
  console.error('bench:loop needs ../shared/datasets/imagewoof and ../shared/datasets/otherbreeds (absent)');
  process.exit(1);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const say = (text: string) => process.stderr.write(`${text}\n`);

interface Session {
  app: BreedbotApp;
  learning: ReturnType<typeof startLearning>;
  config: Config;
  dir: string;
  close(): Promise<void>;
}

async function openSession(): Promise<Session> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-bench-loop-'));
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    DATABASE_URL: `file:${path.join(dir, 'breedbot.db')}`,
    DATA_DIR: path.join(dir, 'data'),
    // Simulated people label faster than real ones.
    RATE_CLASSIFY_PER_USER: '100000',
    RATE_CLASSIFY_PER_GUILD: '100000',
    RATE_LABEL_PER_USER: '100000',
    RATE_LABEL_PER_GUILD: '100000',
  });
  const app = await createBreedbot(config);
  const learning = startLearning(app, config);
  return {
    app,
    learning,
    config,
    dir,
    async close() {
      await learning.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function synsetNames(app: BreedbotApp): Map<string, string> {
  const { labels } = app.model.runtime.backbone.classifier;
  const names = breedNames(labels.synonyms, app.model.runtime.modelConfig.dogClasses, labels.synsets);
  return new Map(names.map((b) => [b.synset!, b.name]));
}

interface LabelledFile {
  file: string;
  synset: string;
  breed: string;
}

/** <dir>/<synset>/<photo> files with the readable name of each synset's breed. */
function listLabelledFiles(dir: string, names: Map<string, string>): LabelledFile[] {
  return readdirSync(dir)
    .filter((d) => statSync(path.join(dir, d)).isDirectory())
    .sort()
    .flatMap((synset) => {
      const breed = names.get(synset);
      if (!breed) throw new Error(`${dir}/${synset} is not a dog synset of this model`);
      return readdirSync(path.join(dir, synset))
        .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
        .sort()
        .map((f) => ({ file: path.join(dir, synset, f), synset, breed }));
    });
}

interface Scores {
  top1: number;
  top5: number;
  perClass: Record<string, { synset: string; n: number; top1: number }>;
}

/** Top-1/top-5 of the model serving right now (one lease for the whole run). */
async function evaluateServing(app: BreedbotApp, files: LabelledFile[], config: Config): Promise<Scores> {
  const limits = imageLimitsFromConfig(config);
  return app.model.holder.use(async (classifier) => {
    let top1 = 0;
    let top5 = 0;
    const perClass: Scores['perClass'] = {};
    for (let start = 0; start < files.length; start += 32) {
      const chunk = files.slice(start, start + 32);
      const inputs = await Promise.all(
        chunk.map(
          async (f) =>
            (await prepareModelInput(await readFile(f.file), app.model.runtime.imageSpec, limits)).input,
        ),
      );
      const results = await classifier.classifyMany(inputs);
      results.forEach((r, i) => {
        const f = chunk[i]!;
        const hit = r.top5[0]?.breed === f.breed;
        const c = (perClass[f.breed] ??= { synset: f.synset, n: 0, top1: 0 });
        c.n++;
        if (hit) {
          top1++;
          c.top1++;
        }
        if (r.top5.some((b) => b.breed === f.breed)) top5++;
      });
    }
    for (const c of Object.values(perClass)) c.top1 /= c.n;
    return { top1: top1 / files.length, top5: top5 / files.length, perClass };
  });
}

interface StreamStats {
  photos: number;
  labels: number;
  reactions: number;
  commands: number;
  confirmations: number;
  seconds: number;
}

/** People post the photos (in a seeded random order) and correct or confirm the bot's guesses. */
async function streamPhotos(
  app: BreedbotApp,
  files: LabelledFile[],
  seed: number,
  confirmRate = CONFIRM,
): Promise<StreamStats> {
  const rng = createRng(seed);
  const order = shuffledIndices(files.length, rng);
  const stats: StreamStats = {
    photos: 0,
    labels: 0,
    reactions: 0,
    commands: 0,
    confirmations: 0,
    seconds: 0,
  };
  const began = performance.now();
  for (const [n, i] of order.entries()) {
    const file = files[i]!;
    const guildId = 'bench-guild';
    const channelId = 'bench-channel';
    const messageId = `m${seed}-${i}`;
    const poster = `person-${Math.floor(rng() * 40)}`;
    const labeller = `person-${Math.floor(rng() * 40)}`;
    const c = await app.classifyImageBytes(readFileSync(file.file), {
      guildId,
      channelId,
      messageId,
      userId: poster,
    });
    stats.photos++;
    const top = c.result.top5[0]!;
    const right = top.breed === file.breed;
    const unsure = top.probability < UNSURE;
    const confirm = right && !unsure && rng() < confirmRate;
    if (right && !unsure && !confirm) continue;
    // A reply without reactions (the not-a-dog verdict) leaves /label as the way to correct it.
    const position = c.result.isDog ? c.result.top5.findIndex((b) => b.breed === file.breed) : -1;
    if (position >= 0) {
      const replyMessageId = `r${seed}-${i}`;
      await app.recordReply([c.predictionId], replyMessageId);
      const out = await app.labelFromReaction({
        replyMessageId,
        position: position + 1,
        userId: labeller,
        guildId,
      });
      if (!out) throw new Error(`reaction on ${file.file} was not taken`);
      stats.reactions++;
      if (confirm) stats.confirmations++;
    } else {
      await app.labelByCommand({
        guildId,
        channelId,
        userId: labeller,
        breed: file.breed,
        messageRef: { messageId },
        isModerator: false,
      });
      stats.commands++;
    }
    stats.labels++;
    if ((n + 1) % 200 === 0) say(`  ${n + 1}/${files.length} photos, ${stats.labels} labels`);
  }
  stats.seconds = (performance.now() - began) / 1000;
  return stats;
}

async function retrain(session: Session): Promise<RetrainResult> {
  let last = -1;
  const result = await session.learning.loop.retrain({ requestedBy: 'bench:loop', reason: 'cli' }, (p) => {
    const percent = Math.floor(p.fraction * 10) * 10;
    if (percent !== last) say(`  training ${percent}%${p.epoch ? ` (epoch ${p.epoch}/${p.epochs})` : ''}`);
    last = percent;
  });
  say(`  ${result.status}: ${result.reason ?? ''}`);
  if (result.status === 'rejected') say(`    ${(result.reasons ?? []).join('\n    ')}`);
  return result;
}

/** Makes a version of the active head without `breed` the active model (as if it had never been seen). */
async function hideBreed(session: Session, breed: string): Promise<string> {
  const { app, config } = session;
  const head = app.model.holder.model.head;
  const keep = head.breeds.map((b, j) => [b, j] as const).filter(([b]) => b !== breed);
  const K = head.breeds.length;
  const k = keep.length;
  const kernel = new Float32Array(head.inputDim * k);
  for (let d = 0; d < head.inputDim; d++)
    keep.forEach(([, j], c) => (kernel[d * k + c] = head.kernel[d * K + j]!));
  const hidden: BreedHead = {
    breeds: keep.map(([b]) => b),
    inputDim: head.inputDim,
    kernel,
    bias: Float32Array.from(keep, ([, j]) => head.bias[j]!),
  };
  const saved = await saveHeadVersion(config.modelsDir, hidden, {
    parent: app.model.activeVersion(),
    backboneId: app.model.backboneId,
    metrics: { note: `bench:loop: the base head without ${breed}` },
  });
  await recordModelVersion(app.db, {
    id: saved.version,
    path: saved.dir,
    parentId: app.model.activeVersion(),
    backboneId: app.model.backboneId,
    status: 'active',
    reason: `bench:loop hides ${breed}`,
  });
  await session.learning.loop.syncWithDatabase();
  return saved.version;
}

// ---------------------------------------------------------------- 1. label the 1,000 train photos, retrain

say(`bench:loop: confirm rate ${CONFIRM}, unsure below ${UNSURE}`);
const main = await openSession();
const names = synsetNames(main.app);
const train = listLabelledFiles(trainDir, names);
const val = listLabelledFiles(valDir, names);
const other = listLabelledFiles(otherDir, names);
const woofSynsets = new Set(train.map((f) => f.synset));
const otherOnly = other.filter((f) => !woofSynsets.has(f.synset));
say(
  `backend ${main.app.backend}; ${train.length} train, ${val.length} val, ${other.length} other-breed photos`,
);

const valBefore = await evaluateServing(main.app, val, main.config);
const otherBefore = await evaluateServing(main.app, other, main.config);
say(
  `before: val top-1 ${pct(valBefore.top1)} top-5 ${pct(valBefore.top5)}; other breeds top-1 ${pct(otherBefore.top1)}`,
);
const stream = await streamPhotos(main.app, train, 1);
say(
  `streamed ${stream.photos} photos in ${stream.seconds.toFixed(1)} s: ${stream.labels} labels ` +
    `(${stream.reactions} reactions incl. ${stream.confirmations} confirmations, ${stream.commands} /label)`,
);
const trained = await retrain(main);
const valAfter = await evaluateServing(main.app, val, main.config);
const otherAfter = await evaluateServing(main.app, other, main.config);
const otherOnlyTop1 = (r: Awaited<ReturnType<typeof evaluateServing>>) => {
  const hits = Object.entries(r.perClass)
    .filter(([, c]) => !woofSynsets.has(c.synset))
    .reduce((s, [, c]) => s + c.top1 * c.n, 0);
  return hits / otherOnly.length;
};
say(
  `after:  val top-1 ${pct(valAfter.top1)} top-5 ${pct(valAfter.top5)}; other breeds top-1 ${pct(otherAfter.top1)} ` +
    `(excluding imagewoof breeds ${pct(otherOnlyTop1(otherBefore))} → ${pct(otherOnlyTop1(otherAfter))})`,
);
const finalModel = main.app.model.activeVersion();
await main.close();

// ---------------------------------------------------------------- 1b. the sparser scenario (some right guesses unconfirmed)

let sparse: Record<string, unknown> | null = null;
if (SPARSE_CONFIRM > 0 && SPARSE_CONFIRM !== CONFIRM) {
  say(`sparse: the same stream, confident right guesses confirmed at rate ${SPARSE_CONFIRM}`);
  const session = await openSession();
  const sparseStream = await streamPhotos(session.app, train, 1, SPARSE_CONFIRM);
  const result = await retrain(session);
  const valSparse = await evaluateServing(session.app, val, session.config);
  const otherSparse = await evaluateServing(session.app, other, session.config);
  say(
    `  sparse: ${sparseStream.labels} labels; val top-1 ${pct(valSparse.top1)} top-5 ${pct(valSparse.top5)}; ` +
      `other breeds top-1 ${pct(otherSparse.top1)}`,
  );
  sparse = {
    confirmRate: SPARSE_CONFIRM,
    labels: sparseStream.labels,
    simulation: sparseStream,
    status: result.status,
    after: { top1: valSparse.top1, top5: valSparse.top5 },
    otherBreedsAfter: otherSparse.top1,
    trainSeconds: result.trainSeconds ?? null,
  };
  await session.close();
}

// ---------------------------------------------------------------- 2. new breeds from 20 labels each

const hiddenSynsets =
  args.hidden === 'all'
    ? [...woofSynsets].sort()
    : [...woofSynsets].filter((s) => s === args.hidden || names.get(s) === args.hidden);
if (hiddenSynsets.length === 0) throw new Error(`--hidden ${args.hidden}: not an imagewoof breed`);
const newBreeds: {
  breed: string;
  labels: number;
  recall: number;
  status: string;
  valTop1: number;
  otherBreedsTop1: number;
  trainSeconds: number | null;
}[] = [];
for (const synset of hiddenSynsets) {
  const breed = names.get(synset)!;
  say(`new breed ${breed}: hidden from the active head, ${NEW_BREED_LABELS} of its photos in the stream`);
  const session = await openSession();
  await hideBreed(session, breed);
  const photos = [
    ...train.filter((f) => f.synset !== synset),
    ...train.filter((f) => f.synset === synset).slice(0, NEW_BREED_LABELS),
  ];
  await streamPhotos(session.app, photos, 2);
  const result = await retrain(session);
  const after = await evaluateServing(session.app, val, session.config);
  const others = await evaluateServing(session.app, other, session.config);
  const recall = after.perClass[breed]?.top1 ?? 0;
  say(
    `  ${breed}: val recall ${pct(recall)} (val top-1 ${pct(after.top1)}, other breeds ${pct(others.top1)})`,
  );
  newBreeds.push({
    breed,
    labels: NEW_BREED_LABELS,
    recall,
    status: result.status,
    valTop1: after.top1,
    otherBreedsTop1: others.top1,
    trainSeconds: result.trainSeconds ?? null,
  });
  await session.close();
}
const headline = newBreeds.find((b) => b.breed === names.get(HEADLINE_HIDDEN)) ?? newBreeds[0]!;
const meanRecall = newBreeds.reduce((s, b) => s + b.recall, 0) / newBreeds.length;

const report = {
  before: { top1: valBefore.top1, top5: valBefore.top5 },
  after: { top1: valAfter.top1, top5: valAfter.top5 },
  otherBreeds: { before: otherBefore.top1, after: otherAfter.top1 },
  labels: stream.labels,
  trainSeconds: trained.trainSeconds ?? null,
  newBreed: { breed: headline.breed, labels: headline.labels, recall: headline.recall },
  finalModel,
  // Details beyond the required fields.
  backend: main.app.backend,
  promoted: trained.status === 'promoted',
  decision: trained.reasons ?? [],
  retrainSeconds: trained.seconds ?? null,
  simulation: { ...stream, confirmRate: CONFIRM, unsureBelow: UNSURE },
  otherBreedsExcludingImagewoof: {
    photos: otherOnly.length,
    before: otherOnlyTop1(otherBefore),
    after: otherOnlyTop1(otherAfter),
  },
  perBreedVal: Object.fromEntries(
    Object.entries(valAfter.perClass).map(([b, c]) => [
      b,
      { before: valBefore.perClass[b]?.top1 ?? 0, after: c.top1 },
    ]),
  ),
  newBreeds: { meanRecall, minRecall: Math.min(...newBreeds.map((b) => b.recall)), each: newBreeds },
  sparse,
};
writeFileSync(path.resolve(projectRoot, args.out), JSON.stringify(report, null, 2) + '\n');
const lines = [
  `imagewoof val top-1 ${pct(report.before.top1)} → ${pct(report.after.top1)}, top-5 ${pct(report.before.top5)} → ${pct(report.after.top5)}`,
  `other breeds top-1 ${pct(report.otherBreeds.before)} → ${pct(report.otherBreeds.after)} (${other.length} photos; ` +
    `excluding imagewoof breeds ${pct(report.otherBreedsExcludingImagewoof.before)} → ${pct(report.otherBreedsExcludingImagewoof.after)})`,
  `${report.labels} labels from ${stream.photos} photos; ${trained.status} ${finalModel}; trained in ${report.trainSeconds?.toFixed(2)} s ` +
    `(whole retrain ${report.retrainSeconds?.toFixed(1)} s) on ${report.backend}`,
  `new breed ${headline.breed}: ${pct(headline.recall)} val recall from ${headline.labels} labels`,
  ...(sparse
    ? [
        `sparse (confirm rate ${SPARSE_CONFIRM}): ${String(sparse.labels)} labels, val top-1 → ` +
          `${pct((sparse.after as { top1: number }).top1)}, other breeds → ${pct(sparse.otherBreedsAfter as number)}`,
      ]
    : []),
  `all hidden breeds: mean ${pct(meanRecall)}; ${newBreeds.map((b) => `${b.breed} ${pct(b.recall)}`).join(', ')}`,
  `wrote ${args.out}; npm run eval -- ../shared/datasets/imagewoof/val --model ${finalModel}`,
];
console.log(lines.join('\n'));

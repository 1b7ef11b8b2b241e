/**
 * Development benchmark of the head trainer on real embeddings of ../shared (not the official bench:loop):
 *   node --import tsx bench/loop-dev.ts [--json out.json]
 * Reports imagewoof val top-1/top-5 before → after labelling the 1,000 train photos, other-breeds top-1
 * before → after, a hidden breed's val recall from 20 labels (and every imagewoof breed hidden in turn), a shuffled-label candidate's decision, and
 * training seconds for 1k and 10k labels. Embeddings are cached in the OS temp folder.
 */
import { writeFileSync } from 'node:fs';
import { selectBackend } from '../src/model/backend.ts';
import { evaluateHead } from '../src/training/evaluate.ts';
import { trainCandidate, type TrainingInput } from '../src/training/pipeline.ts';
import { createRng } from '../src/training/prng.ts';
import type { LabelledEmbedding } from '../src/training/types.ts';
import {
  asLabels,
  asPoints,
  dogClassIndices,
  embedPhotos,
  hasSharedData,
  imagenetBreedHead,
  imagenetLabels,
  imagewoofPhotos,
  otherBreedPhotos,
  type EmbeddedPhoto,
} from '../test/helpers/real-embeddings.ts';

if (!hasSharedData) {
  console.error('needs ../shared/models and ../shared/datasets (absent)');
  process.exit(1);
}
const backend = await selectBackend(process.env.TF_BACKEND as never);
const names = imagenetLabels();
const toPoints = (photos: EmbeddedPhoto[]) => asPoints(photos, names);
const toLabels = (photos: EmbeddedPhoto[]) => asLabels(photos, names);

const train = await embedPhotos(imagewoofPhotos('train'));
const val = await embedPhotos(imagewoofPhotos('val'));
const other = await embedPhotos(otherBreedPhotos());
const head = await imagenetBreedHead();
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const base = (h = head): Omit<TrainingInput, 'labels'> => ({
  activeHead: h,
  activeVersion: 'base-mobilenet_v1_0.75_224',
  backboneId: 'mobilenet_v1_0.75_224',
});

// 1. Label all 1,000 train photos.
const before = await evaluateHead(head, toPoints(val));
const otherBefore = await evaluateHead(head, toPoints(other));
const full = await trainCandidate({ ...base(), labels: toLabels(train) });
const after = await evaluateHead(full.head, toPoints(val));
const otherAfter = await evaluateHead(full.head, toPoints(other));
const woofSynsets = new Set(train.map((p) => p.synset));
const otherOnly = other.filter((p) => !woofSynsets.has(p.synset));
const otherOnlyBefore = await evaluateHead(head, toPoints(otherOnly));
const otherOnlyAfter = await evaluateHead(full.head, toPoints(otherOnly));

// 2. Hidden breed: dingo removed from the start head, 20 of its train photos labelled (with and without the rest).
const hidden = 273;
const hiddenName = names[hidden]!;
const hiddenHead = await imagenetBreedHead(dogClassIndices().filter((i) => i !== hidden));
const hiddenTrain = train.filter((p) => p.imagenetIndex === hidden).slice(0, 20);
const hiddenVal = toPoints(val.filter((p) => p.imagenetIndex === hidden));
const withRest = await trainCandidate({
  ...base(hiddenHead),
  labels: toLabels([...train.filter((p) => p.imagenetIndex !== hidden), ...hiddenTrain]),
});
const alone = await trainCandidate({ ...base(hiddenHead), labels: toLabels(hiddenTrain) });
const recallWithRest = (await evaluateHead(withRest.head, hiddenVal)).top1;
const recallAlone = (await evaluateHead(alone.head, hiddenVal)).top1;
// Every imagewoof breed hidden in turn (settings are chosen by the mean, not by one breed).
const hiddenEach: { breed: string; recall: number; promoted: boolean; valTop1: number; otherTop1: number }[] =
  [];
for (const index of [...new Set(train.map((p) => p.imagenetIndex))].sort((a, b) => a - b)) {
  const h = await imagenetBreedHead(dogClassIndices().filter((i) => i !== index));
  const r = await trainCandidate({
    ...base(h),
    labels: toLabels([
      ...train.filter((p) => p.imagenetIndex !== index),
      ...train.filter((p) => p.imagenetIndex === index).slice(0, 20),
    ]),
  });
  hiddenEach.push({
    breed: names[index]!,
    recall: (await evaluateHead(r.head, toPoints(val.filter((p) => p.imagenetIndex === index)))).top1,
    promoted: r.decision.promote,
    valTop1: (await evaluateHead(r.head, toPoints(val))).top1,
    otherTop1: (await evaluateHead(r.head, toPoints(other))).top1,
  });
}
const hiddenMean = hiddenEach.reduce((s, h) => s + h.recall, 0) / hiddenEach.length;

// 3. Shuffled labels on the train split (the holdout keeps true labels, as it would from earlier versions).
const rng = createRng(42);
const shuffledLabels = toLabels(train);
const breedsInOrder = shuffledLabels.map((l) => l.breed);
for (let i = breedsInOrder.length - 1; i > 0; i--) {
  const j = Math.floor(rng() * (i + 1));
  [breedsInOrder[i], breedsInOrder[j]] = [breedsInOrder[j]!, breedsInOrder[i]!];
}
const { splitScore } = await import('../src/training/dataset.ts');
shuffledLabels.forEach((l, i) => {
  if (splitScore(l.sha256) >= 0.2) l.breed = breedsInOrder[i]!;
});
const shuffled = await trainCandidate({ ...base(), labels: shuffledLabels });
const allShuffled = toLabels(train);
const allBreeds = allShuffled.map((l) => l.breed);
for (let i = allBreeds.length - 1; i > 0; i--) {
  const j = Math.floor(rng() * (i + 1));
  [allBreeds[i], allBreeds[j]] = [allBreeds[j]!, allBreeds[i]!];
}
allShuffled.forEach((l, i) => (l.breed = allBreeds[i]!));
const shuffledAll = await trainCandidate({ ...base(), labels: allShuffled });

// 4. Speed at 10k labels x 120 breeds: learnable synthetic labels (pseudo-examples of 120 breeds grown from the
// real embeddings, jittered), since ../shared has photos of only 69 breeds.
const { makePseudoExamples } = await import('../src/training/pseudo-examples.ts');
const rng10 = createRng(7);
const breeds120 = head.breeds.slice(0, 120);
const grown = await makePseudoExamples(
  head,
  [...train, ...val, ...other].map((p) => p.embedding),
  breeds120,
  { perBreed: 84, seed: 7 },
);
const big: LabelledEmbedding[] = grown.slice(0, 10_000).map((e, i) => ({
  imageId: `i${i}`,
  sha256: `${i}`.padStart(64, '0'),
  breed: breeds120[Math.floor(i / 84)]!,
  weight: 1,
  embedding: Float32Array.from(e, (v) => Math.max(0, v * (0.8 + 0.4 * rng10()))),
}));
const t10 = performance.now();
const speed10k = await trainCandidate({ ...base(), labels: big });
const seconds10k = (performance.now() - t10) / 1000;

const report = {
  backend: backend.name,
  before: { top1: before.top1, top5: before.top5 },
  after: { top1: after.top1, top5: after.top5 },
  otherBreeds: { before: otherBefore.top1, after: otherAfter.top1, photos: other.length },
  otherBreedsExcludingImagewoof: {
    before: otherOnlyBefore.top1,
    after: otherOnlyAfter.top1,
    photos: otherOnly.length,
  },
  promotedFull: full.decision,
  guard: full.metrics.guard,
  labels: train.length,
  trainSeconds: full.metrics.trainSeconds,
  newBreed: { breed: hiddenName, labels: 20, recall: recallWithRest, recallWhenOnlyItsLabels: recallAlone },
  newBreeds: { meanRecall: hiddenMean, each: hiddenEach },
  shuffled: { decision: shuffled.decision, holdoutTop1: shuffled.metrics.candidate.top1 },
  shuffledAll: { decision: shuffledAll.decision, holdoutTop1: shuffledAll.metrics.candidate.top1 },
  tenK: {
    labels: big.length,
    breeds: 120,
    seconds: seconds10k,
    trainSeconds: speed10k.metrics.trainSeconds,
    epochs: speed10k.metrics.epochsRun,
  },
};
console.log(
  [
    `backend ${backend.name}`,
    `imagewoof val top-1 ${pct(before.top1)} → ${pct(after.top1)}, top-5 ${pct(before.top5)} → ${pct(after.top5)}`,
    `other breeds top-1 ${pct(otherBefore.top1)} → ${pct(otherAfter.top1)} (${other.length} photos); ` +
      `excluding imagewoof breeds ${pct(otherOnlyBefore.top1)} → ${pct(otherOnlyAfter.top1)} (${otherOnly.length})`,
    `full: ${full.decision.promote ? 'PROMOTE' : 'REJECT'}: ${full.decision.reasons.join('; ')}`,
    `trained in ${full.metrics.trainSeconds.toFixed(2)} s (${full.metrics.epochsRun} epochs, best ${full.metrics.bestEpoch})`,
    `hidden breed ${hiddenName}: val recall ${pct(recallWithRest)} from 20 labels (+900 others); ${pct(recallAlone)} with only its 20`,
    `all 10 hidden in turn: mean ${pct(hiddenMean)}; ${hiddenEach.map((h) => `${h.breed} ${pct(h.recall)}${h.promoted ? '' : ' (rejected)'}`).join(', ')}`,
    `shuffled labels: ${shuffled.decision.promote ? 'PROMOTE' : 'REJECT'}: ${shuffled.decision.reasons.join('; ')}`,
    `all labels shuffled: ${shuffledAll.decision.promote ? 'PROMOTE' : 'REJECT'}: ${shuffledAll.decision.reasons.join('; ')}`,
    `10k labels x 120 breeds: ${seconds10k.toFixed(2)} s total, ${speed10k.metrics.trainSeconds.toFixed(2)} s training (${speed10k.metrics.epochsRun} epochs)`,
  ].join('\n'),
);
const out = process.argv.indexOf('--json');
if (out > 0 && process.argv[out + 1]) writeFileSync(process.argv[out + 1]!, JSON.stringify(report, null, 2));

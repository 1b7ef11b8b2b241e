/** Metrics of a breed head on a labelled set, and the forgetting guard against the active head. */
import type { BreedHead } from '../model/types.ts';
import { argmax, logitsMatrix, softmax, topIndices } from '../model/head-math.ts';

export interface LabelledPoint {
  embedding: Float32Array;
  breed: string;
}

export interface HeadMetrics {
  count: number;
  top1: number;
  top5: number;
  /** Share of each breed's images whose top-1 is that breed. */
  perBreedRecall: Record<string, { recall: number; count: number }>;
  /** Expected calibration error of the top-1 confidence, 10 equal-width bins. */
  ece: number;
  /** Mean cross-entropy (breeds the head does not know count as probability 0, capped at 1e-12). */
  loss: number;
  /** True when the head's weights or any output on this set is NaN or ±Infinity. */
  nonFinite: boolean;
}

export function hasNonFiniteWeights(head: BreedHead): boolean {
  for (const v of head.kernel) if (!Number.isFinite(v)) return true;
  for (const v of head.bias) if (!Number.isFinite(v)) return true;
  return false;
}

export async function evaluateHead(head: BreedHead, points: LabelledPoint[]): Promise<HeadMetrics> {
  const index = new Map(head.breeds.map((b, i) => [b, i]));
  const bins = Array.from({ length: 10 }, () => ({ n: 0, confidence: 0, correct: 0 }));
  const perBreed = new Map<string, { hit: number; count: number }>();
  let nonFinite = hasNonFiniteWeights(head);
  let top1 = 0;
  let top5 = 0;
  let loss = 0;
  const k = head.breeds.length;
  const logits = await logitsMatrix(
    head,
    points.map((p) => p.embedding),
  );
  for (const [row, point] of points.entries()) {
    const p = softmax(logits.subarray(row * k, (row + 1) * k));
    const truth = index.get(point.breed);
    const best = argmax(p);
    const confidence = p[best]!;
    if (!Number.isFinite(confidence)) nonFinite = true;
    const hit = truth !== undefined && best === truth;
    if (hit) top1++;
    if (truth !== undefined && topIndices(p, 5).includes(truth)) top5++;
    loss -= Math.log(Math.max(truth === undefined ? 0 : p[truth]!, 1e-12));
    const bin = bins[Math.min(9, Math.floor(confidence * 10))];
    if (bin) {
      bin.n++;
      bin.confidence += confidence;
      bin.correct += hit ? 1 : 0;
    }
    const stats = perBreed.get(point.breed) ?? { hit: 0, count: 0 };
    stats.count++;
    if (hit) stats.hit++;
    perBreed.set(point.breed, stats);
  }
  const n = points.length;
  const ece =
    n === 0 ? 0 : bins.reduce((sum, b) => sum + (b.n === 0 ? 0 : Math.abs(b.confidence - b.correct)), 0) / n;
  const perBreedRecall: HeadMetrics['perBreedRecall'] = {};
  for (const [breed, s] of [...perBreed].sort(([a], [b]) => (a < b ? -1 : 1))) {
    perBreedRecall[breed] = { recall: s.hit / s.count, count: s.count };
  }
  return {
    count: n,
    top1: n ? top1 / n : 0,
    top5: n ? top5 / n : 0,
    perBreedRecall,
    ece,
    loss: n ? loss / n : 0,
    nonFinite,
  };
}

export interface GuardResult {
  /** Images compared (reference embeddings the active head assigns to breeds outside the trained ones). */
  count: number;
  /** Share of them on which the candidate's top-1 equals the active head's top-1 (1 when count is 0). */
  agreement: number;
  /** The breeds that took the most of the disagreements, worst first. */
  topThieves: { breed: string; count: number }[];
}

/**
 * The forgetting guard: on stored embeddings that the active head assigns to breeds *outside* those the candidate
 * was trained on, does the candidate still give the same top-1? Plain fine-tuning fails this badly (labelled
 * breeds win every close call); a candidate that only sharpened the labelled breeds passes.
 */
export async function forgettingGuard(
  candidate: BreedHead,
  active: BreedHead,
  referenceEmbeddings: Float32Array[],
  trainedBreeds: Iterable<string>,
  /** The same images embedded by the candidate's own backbone, when it has one (a fine-tuned backbone). */
  candidateEmbeddings: Float32Array[] = referenceEmbeddings,
): Promise<GuardResult> {
  if (candidateEmbeddings.length !== referenceEmbeddings.length) {
    throw new Error('the guard needs the same images embedded by both backbones');
  }
  const trained = new Set(trainedBreeds);
  const ka = active.breeds.length;
  const kc = candidate.breeds.length;
  const [za, zc] = [
    await logitsMatrix(active, referenceEmbeddings),
    await logitsMatrix(candidate, candidateEmbeddings),
  ];
  let count = 0;
  let agree = 0;
  const thieves = new Map<string, number>();
  for (let i = 0; i < referenceEmbeddings.length; i++) {
    const activeBreed = active.breeds[argmax(za.subarray(i * ka, (i + 1) * ka))]!;
    if (trained.has(activeBreed)) continue;
    count++;
    const candidateBreed = candidate.breeds[argmax(zc.subarray(i * kc, (i + 1) * kc))]!;
    if (candidateBreed === activeBreed) agree++;
    else thieves.set(candidateBreed, (thieves.get(candidateBreed) ?? 0) + 1);
  }
  const topThieves = [...thieves]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([breed, n]) => ({ breed, count: n }));
  return { count, agreement: count === 0 ? 1 : agree / count, topThieves };
}

/**
 * One training run, start to finish, in the calling thread: split the labels, make pseudo-examples of the breeds
 * nobody labelled, train from the active head, evaluate candidate and active on the same holdout, run the
 * forgetting guard, decide promotion and (optionally) save the candidate as a version. Promotion itself (the
 * database record and the hot-swap) is the caller's move.
 */
import { saveHeadVersion } from '../model/registry.ts';
import type { BreedHead } from '../model/types.ts';
import { buildDataset, type SplitOptions } from './dataset.ts';
import {
  evaluateHead,
  forgettingGuard,
  type GuardResult,
  type HeadMetrics,
  type LabelledPoint,
} from './evaluate.ts';
import { argmax, logitsMatrix } from './head-math.ts';
import {
  decidePromotion,
  type CandidateMetrics,
  type PromotionDecision,
  type PromotionPolicy,
} from './promotion.ts';
import { makePseudoExamples, type PseudoExampleOptions } from './pseudo-examples.ts';
import { trainHead } from './train-head.ts';
import {
  defaultTrainHeadOptions,
  type LabelledEmbedding,
  type ProgressListener,
  type TrainHeadOptions,
} from './types.ts';

/** Measured on imagewoof (bench/loop.ts): 0.9 kept other breeds' photos intact at a +12-point gain; 0.6 cost ~3 points. */
export const TRAINING_PSEUDO_PROBABILITY = 0.9;

export interface TrainingInput {
  activeHead: BreedHead;
  activeVersion: string;
  backboneId: string;
  labels: LabelledEmbedding[];
  /** Embeddings of stored images that are not in `labels` (unlabelled uploads, other breeds). */
  referenceEmbeddings?: Float32Array[];
  /** Where to save the candidate (MODELS_DIR); omitted: nothing is written. */
  modelsDir?: string;
  train?: Partial<TrainHeadOptions>;
  split?: Partial<SplitOptions>;
  /** Pseudo-examples the trainer distils on (default target probability 0.9). */
  pseudo?: Partial<PseudoExampleOptions>;
  /** Pseudo-examples the forgetting guard checks (default target probability 0.6: close calls). */
  guardPseudo?: Partial<PseudoExampleOptions>;
  policy?: Partial<PromotionPolicy>;
}

export interface TrainingMetrics {
  candidate: CandidateMetrics;
  active: HeadMetrics;
  guard: GuardResult;
  labels: number;
  trainImages: number;
  holdoutImages: number;
  newBreeds: string[];
  trainedBreeds: string[];
  epochsRun: number;
  bestEpoch: number;
  trainSeconds: number;
  seed: number;
}

export interface TrainingResult {
  /** The saved version id, or null when no modelsDir was given. */
  version: string | null;
  dir: string | null;
  parent: string;
  head: BreedHead;
  decision: PromotionDecision;
  metrics: TrainingMetrics;
}

export interface RunHooks {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export async function trainCandidate(input: TrainingInput, hooks: RunHooks = {}): Promise<TrainingResult> {
  const options = { ...defaultTrainHeadOptions, ...input.train };
  const { activeHead } = input;
  const dataset = buildDataset(input.labels, activeHead, input.split);
  const references = input.referenceEmbeddings ?? [];
  // Stored references are split: even positions teach the trainer, odd ones are kept for the guard.
  const trainRefs = references.filter((_, i) => i % 2 === 0);
  const guardRefs = references.filter((_, i) => i % 2 === 1);

  const trained = new Set([...dataset.labelledBreeds, ...dataset.newBreeds]);
  const unlabelled = activeHead.breeds.filter((b) => !trained.has(b));
  const pseudoSeeds = pseudoExampleSeeds(activeHead, dataset, trainRefs);
  // Training pseudo-examples sit well inside each unlabelled breed's region (typical photos of it must keep
  // their breed); the guard's sit at the close calls (target probability 0.6), where forgetting shows first.
  const pseudo = {
    perBreed: options.pseudoExamplesPerBreed,
    targetProbability: TRAINING_PSEUDO_PROBABILITY,
    ...input.pseudo,
  };
  const trainPseudo = makePseudoExamples(activeHead, pseudoSeeds, unlabelled, {
    ...pseudo,
    seed: options.seed,
  });
  const guardPseudo = makePseudoExamples(activeHead, pseudoSeeds, unlabelled, {
    perBreed: Math.max(2, Math.ceil(pseudo.perBreed / 2)),
    ...input.guardPseudo,
    seed: options.seed + 7919,
  });

  const result = await trainHead(activeHead, dataset, options, {
    referenceEmbeddings: [...trainRefs, ...trainPseudo],
    negativeEmbeddings: trainPseudo,
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });

  const holdout: LabelledPoint[] = dataset.holdout.map((e) => ({
    embedding: e.embedding,
    breed: dataset.breeds[e.breedIndex]!,
  }));
  const trainPoints: LabelledPoint[] = dataset.train.map((e) => ({
    embedding: e.embedding,
    breed: dataset.breeds[e.breedIndex]!,
  }));
  const candidate: CandidateMetrics = {
    ...evaluateHead(result.head, holdout),
    trainFit: evaluateHead(result.head, trainPoints).top1,
  };
  const active = evaluateHead(activeHead, holdout);
  const guard = forgettingGuard(
    result.head,
    activeHead,
    [...guardRefs, ...guardPseudo],
    result.trainedBreeds,
  );
  const decision = decidePromotion(candidate, active, guard, input.policy);
  const metrics: TrainingMetrics = {
    candidate,
    active,
    guard,
    labels: input.labels.length,
    trainImages: dataset.train.length,
    holdoutImages: dataset.holdout.length,
    newBreeds: dataset.newBreeds,
    trainedBreeds: result.trainedBreeds,
    epochsRun: result.epochsRun,
    bestEpoch: result.bestEpoch,
    trainSeconds: result.seconds,
    seed: options.seed,
  };
  if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('training was cancelled');

  let version: string | null = null;
  let dir: string | null = null;
  if (input.modelsDir) {
    const saved = await saveHeadVersion(input.modelsDir, result.head, {
      parent: input.activeVersion,
      backboneId: input.backboneId,
      metrics: { ...metrics, decision },
    });
    version = saved.version;
    dir = saved.dir;
  }
  return { version, dir, parent: input.activeVersion, head: result.head, decision, metrics };
}

/**
 * Where pseudo-examples start: labelled images the active head already gets right (starting from a misclassified
 * one would tell the trainer to keep that mistake) plus stored reference images.
 */
function pseudoExampleSeeds(
  head: BreedHead,
  dataset: ReturnType<typeof buildDataset>,
  references: Float32Array[],
): Float32Array[] {
  const k = head.breeds.length;
  const z = logitsMatrix(
    head,
    dataset.train.map((e) => e.embedding),
  );
  const correct = dataset.train
    .filter((e, i) => head.breeds[argmax(z.subarray(i * k, (i + 1) * k))] === dataset.breeds[e.breedIndex])
    .map((e) => e.embedding);
  const seeds = [...correct, ...references];
  return seeds.length > 0 ? seeds : dataset.train.map((e) => e.embedding);
}

/**
 * One training run, start to finish, in the calling thread: split the labels, make pseudo-examples of the breeds
 * nobody labelled, train from the active head, evaluate candidate and active on the same holdout, run the
 * forgetting guard, decide promotion and (optionally) save the candidate as a version. Promotion itself (the
 * database record and the hot-swap) is the caller's move.
 */
import type { BreedHead } from '../model/types.ts';
import { buildDataset, type SplitOptions } from './dataset.ts';
import {
  evaluateHead,
  forgettingGuard,
  type GuardResult,
  type HeadMetrics,
  type LabelledPoint,
} from './evaluate.ts';
import {
  defaultPromotionPolicy,
  type CandidateMetrics,
  type PromotionDecision,
  type PromotionPolicy,
} from './promotion.ts';
import { makePseudoExamples, pseudoExampleSeeds, type PseudoExampleOptions } from './pseudo-examples.ts';
import { defaultFineTuneOptions } from './fine-tune/backbone-fine-tuner.ts';
import { concludeCandidate } from './save-candidate.ts';
import {
  runSecondStage,
  secondStageRunsOn,
  type SecondStageInput,
  type SecondStageOutcome,
  type SecondStageReport,
} from './fine-tune/second-stage.ts';
import { trainHead } from './train-head.ts';
import {
  defaultTrainHeadOptions,
  type EpochFigures,
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
  /** The optional second stage (FINE_TUNE_BACKBONE=on): fine-tune the backbone's last blocks on stored photos. */
  fineTune?: SecondStageInput;
  /**
   * A backbone switch: `activeHead` is then the new backbone's base head (training starts from it, the forgetting
   * guard compares with it), while the holdout comparison is against the serving version on its own backbone's
   * embeddings of the same photos (by image id).
   */
  compareWith?: ActiveOnOtherBackbone;
}

export interface ActiveOnOtherBackbone {
  head: BreedHead;
  /** The serving backbone's embedding of each labelled image, by image id. */
  embeddings: Record<string, Float32Array>;
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
  /** The head's training loss and holdout accuracy per epoch (the first stage only). */
  curve: EpochFigures[];
  trainSeconds: number;
  seed: number;
  /** Present when the second stage was asked for: whether it ran, was kept, and why. */
  fineTune?: SecondStageReport;
}

export interface TrainingResult {
  /** The saved version id, or null when no modelsDir was given. */
  version: string | null;
  dir: string | null;
  parent: string;
  /** The candidate's backbone: the active one, or its own fine-tuned backbone (saved in the version folder). */
  backboneId: string;
  head: BreedHead;
  decision: PromotionDecision;
  metrics: TrainingMetrics;
}

export interface RunHooks {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** The tfjs backend this runs on (the second stage needs a GPU one). */
  backend?: string;
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
  const pseudoSeeds = await pseudoExampleSeeds(activeHead, dataset, trainRefs);
  // Training pseudo-examples sit well inside each unlabelled breed's region (typical photos of it must keep
  // their breed); the guard's sit at the close calls (target probability 0.6), where forgetting shows first.
  const pseudo = {
    perBreed: options.pseudoExamplesPerBreed,
    targetProbability: TRAINING_PSEUDO_PROBABILITY,
    ...input.pseudo,
  };
  const trainPseudo = await makePseudoExamples(activeHead, pseudoSeeds, unlabelled, {
    ...pseudo,
    seed: options.seed,
  });
  const guardPseudo = await makePseudoExamples(activeHead, pseudoSeeds, unlabelled, {
    perBreed: Math.max(2, Math.ceil(pseudo.perBreed / 2)),
    ...input.guardPseudo,
    seed: options.seed + 7919,
  });

  // With a second stage, progress runs over both stages' epochs (the head's first).
  const stageTwoEpochs =
    input.fineTune && secondStageRunsOn(hooks.backend ?? 'unknown', input.fineTune.requireGpu)
      ? (input.fineTune.options?.maxEpochs ?? defaultFineTuneOptions.maxEpochs)
      : 0;
  const progress = (offset: number): ProgressListener | undefined =>
    hooks.onProgress &&
    ((p) => hooks.onProgress!({ ...p, epoch: p.epoch + offset, epochs: options.maxEpochs + stageTwoEpochs }));
  const stageOneProgress = progress(0);
  const result = await trainHead(activeHead, dataset, options, {
    referenceEmbeddings: [...trainRefs, ...trainPseudo],
    negativeEmbeddings: trainPseudo,
    ...(stageOneProgress ? { onProgress: stageOneProgress } : {}),
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
    ...(await evaluateHead(result.head, holdout)),
    trainFit: (await evaluateHead(result.head, trainPoints)).top1,
  };
  const active = input.compareWith
    ? await evaluateOnOwnBackbone(
        input.compareWith,
        holdout,
        dataset.holdout.map((e) => e.imageId),
      )
    : await evaluateHead(activeHead, holdout);
  const guard = await forgettingGuard(
    result.head,
    activeHead,
    [...guardRefs, ...guardPseudo],
    result.trainedBreeds,
  );
  const policy = { ...defaultPromotionPolicy, ...input.policy };
  let stageTwo: SecondStageOutcome | undefined;
  if (input.fineTune) {
    const stageTwoProgress = progress(options.maxEpochs);
    stageTwo = await runSecondStage({
      input: input.fineTune,
      backend: hooks.backend ?? 'unknown',
      dataset,
      activeHead,
      headOnly: result.head,
      trainedBreeds: result.trainedBreeds,
      policy,
      ...(stageTwoProgress ? { onProgress: stageTwoProgress } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
  }
  const kept = stageTwo?.kept;
  try {
    return await concludeCandidate(input, hooks, {
      head: kept?.head ?? result.head,
      // Stage two is judged on the photos it could decode; the head's own training fit still tells noise apart.
      candidate: kept ? { ...kept.candidate, trainFit: candidate.trainFit } : candidate,
      active: kept?.active ?? active,
      guard: kept?.guard ?? guard,
      policy,
      tuner: kept?.tuner,
      details: {
        labels: input.labels.length,
        trainImages: dataset.train.length,
        holdoutImages: kept?.candidate.count ?? dataset.holdout.length,
        newBreeds: dataset.newBreeds,
        trainedBreeds: result.trainedBreeds,
        epochsRun: result.epochsRun,
        bestEpoch: result.bestEpoch,
        curve: result.curve,
        trainSeconds: result.seconds + (stageTwo?.report.seconds ?? 0),
        seed: options.seed,
        ...(stageTwo ? { fineTune: stageTwo.report } : {}),
      },
    });
  } finally {
    kept?.tuner.dispose();
  }
}

/** The serving head on the serving backbone's embeddings of the holdout photos (a backbone switch). */
function evaluateOnOwnBackbone(
  active: ActiveOnOtherBackbone,
  holdout: LabelledPoint[],
  ids: string[],
): Promise<HeadMetrics> {
  const points = holdout.map((p, i) => {
    const embedding = active.embeddings[ids[i]!];
    if (!embedding) throw new Error(`held-out image ${ids[i]} has no embedding by the serving backbone`);
    return { embedding, breed: p.breed };
  });
  return evaluateHead(active.head, points);
}

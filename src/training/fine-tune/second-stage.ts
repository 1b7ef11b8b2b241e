/**
 * The optional second stage of a training run: after the head was trained on stored embeddings, unfreeze the
 * backbone's last blocks and train them with the head on the stored photos themselves. It is kept only when it
 * beats the head-only candidate on the same holdout photos without forgetting other breeds or blurring the
 * not-a-dog check; otherwise the head-only candidate goes on alone and the report says why.
 */
import type { ImageLimits } from '../../images/decode.ts';
import { prepareModelInput } from '../../images/decode.ts';
import type { BackendName } from '../../model/backend.ts';
import { DEFAULT_DOG_THRESHOLD } from '../../model/classifier.ts';
import type { ModelConfig } from '../../model/model-config.ts';
import { pretrainedSummary } from '../../model/pretrained.ts';
import type { BreedHead } from '../../model/types.ts';
import type { TrainingDataset } from '../dataset.ts';
import { evaluateHead, forgettingGuard, type GuardResult, type HeadMetrics } from '../evaluate.ts';
import type { PromotionPolicy } from '../promotion.ts';
import type { ProgressListener } from '../types.ts';
import {
  BackboneFineTuner,
  defaultFineTuneOptions,
  type FineTuneOptions,
  type PixelExample,
} from './backbone-fine-tuner.ts';
import { UnsupportedBackboneError } from './top-split.ts';

/** Backends that train convolutions fast enough: tfjs-node-gpu (CUDA) and WebGPU. */
export const GPU_BACKENDS: readonly BackendName[] = ['tensorflow-gpu', 'webgpu'];

/** Whether the second stage runs on `backend` (a GPU one, unless the caller turned that requirement off). */
export function secondStageRunsOn(backend: string, requireGpu = true): boolean {
  return !requireGpu || GPU_BACKENDS.includes(backend as BackendName);
}

/** The not-a-dog check may lose at most this share of the holdout dogs. */
export const MAX_DOG_RATE_DROP = 0.02;

/** What the learning loop hands the trainer when FINE_TUNE_BACKBONE=on. Plain data: it crosses the worker boundary. */
export interface SecondStageInput {
  options?: Partial<FineTuneOptions>;
  /** Run only when the trainer's tfjs backend is a GPU one (default true; tests on the cpu backend turn it off). */
  requireGpu?: boolean;
  /** The active backbone as a tfjs layers folder (the base model, or a fine-tuned version's backbone/). */
  modelDir: string;
  modelConfig: ModelConfig;
  /** Stored bytes of the labelled photos, by image id. */
  images: Record<string, Uint8Array>;
  /** Stored photos nobody labelled, with their embedding by the active backbone: the forgetting guard's images. */
  references: { bytes: Uint8Array; embedding: Float32Array }[];
  limits?: ImageLimits;
}

export interface SecondStageReport {
  ran: boolean;
  kept: boolean;
  /** Why it did not run, or why it was (not) kept. */
  reason: string;
  backend: string;
  blocks?: number;
  epochsRun?: number;
  bestEpoch?: number;
  seconds?: number;
  photos?: { train: number; holdout: number; references: number; undecodable: number };
  /** On the holdout photos both could use. */
  holdoutTop1?: { headOnly: number; fineTuned: number };
  holdoutLoss?: { headOnly: number; fineTuned: number };
  guardAgreement?: number;
  /** Share of holdout photos the not-a-dog check accepts as dogs, before → after. */
  dogRate?: { before: number; after: number };
}

export interface SecondStageOutcome {
  report: SecondStageReport;
  /** Present when stage two was kept: the tuner (holding the trained backbone) and the candidate's figures. */
  kept?: {
    tuner: BackboneFineTuner;
    head: BreedHead;
    candidate: HeadMetrics;
    active: HeadMetrics;
    guard: GuardResult;
  };
}

export interface SecondStageRun {
  input: SecondStageInput;
  backend: string;
  dataset: TrainingDataset;
  activeHead: BreedHead;
  /** The head-only candidate from stage one: stage two starts from it and must beat it. */
  headOnly: BreedHead;
  trainedBreeds: string[];
  policy: Pick<PromotionPolicy, 'minGuardAgreement' | 'minGuardImages'>;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

async function decodePixels(
  bytes: Uint8Array,
  config: ModelConfig,
  limits?: ImageLimits,
): Promise<Uint8Array> {
  const { scale, offset } = config.normalisation;
  const { input } = await prepareModelInput(bytes, { size: config.inputSize, scale, offset }, limits);
  return Uint8Array.from(input.data, (x) => Math.round((x - offset) / scale));
}

export async function runSecondStage(run: SecondStageRun): Promise<SecondStageOutcome> {
  const { input, backend, dataset } = run;
  const options = { ...defaultFineTuneOptions, ...input.options };
  const base = { ran: false, kept: false, backend, blocks: options.blocks };
  if (!secondStageRunsOn(backend, input.requireGpu)) {
    return {
      report: {
        ...base,
        reason: `skipped: fine-tuning the backbone needs a GPU backend (${GPU_BACKENDS.join(' or ')}); training ran on ${backend}`,
      },
    };
  }

  const modelConfig = input.modelConfig;
  if (modelConfig.format === 'ensemble') {
    return {
      report: {
        ...base,
        reason:
          `skipped: ${modelConfig.id} is an ensemble (${modelConfig.members.join(' + ')}); the second stage ` +
          'fine-tunes one network, so only the head is trained on an ensemble',
      },
    };
  }

  let undecodable = 0;
  const decode = async (bytes: Uint8Array | undefined): Promise<Uint8Array | null> => {
    if (!bytes) return null;
    try {
      return await decodePixels(bytes, input.modelConfig, input.limits);
    } catch {
      undecodable++;
      return null;
    }
  };
  const withPixels = async (examples: TrainingDataset['train']) => {
    const out: { example: TrainingDataset['train'][number]; pixels: Uint8Array }[] = [];
    for (const example of examples) {
      const pixels = await decode(input.images[example.imageId]);
      if (pixels) out.push({ example, pixels });
    }
    return out;
  };
  const train = await withPixels(dataset.train);
  const holdout = await withPixels(dataset.holdout);
  const references: { pixels: Uint8Array; embedding: Float32Array }[] = [];
  for (const ref of input.references) {
    const pixels = await decode(ref.bytes);
    if (pixels) references.push({ pixels, embedding: ref.embedding });
  }
  const photos = { train: train.length, holdout: holdout.length, references: references.length, undecodable };
  if (train.length === 0 || holdout.length === 0) {
    return { report: { ...base, photos, reason: 'skipped: no stored photos to train or check on' } };
  }
  if (Math.floor(references.length / 2) < run.policy.minGuardImages) {
    return {
      report: {
        ...base,
        photos,
        reason:
          `skipped: only ${references.length} stored photos nobody labelled; half of them replay other breeds ` +
          `in training and the other half must be at least ${run.policy.minGuardImages} to check nothing was forgotten`,
      },
    };
  }

  let tuner: BackboneFineTuner;
  try {
    tuner = await BackboneFineTuner.open(input.modelDir, modelConfig, options.blocks);
  } catch (err) {
    if (!(err instanceof UnsupportedBackboneError)) throw err;
    return {
      report: {
        ...base,
        photos,
        reason: `skipped: the backbone ${modelConfig.id} cannot be fine-tuned: ${err.detail}`,
      },
    };
  }
  let keep = false;
  try {
    const toPixelExample = (e: (typeof train)[number]): PixelExample => ({
      pixels: e.pixels,
      breedIndex: e.example.breedIndex,
      weight: e.example.weight,
    });
    // Like stage one: even-numbered stored photos are replayed in training, odd ones are kept for the guard.
    const replay = references.filter((_, i) => i % 2 === 0).map((r) => r.pixels);
    const guardPhotos = references.filter((_, i) => i % 2 === 1);
    const trained = await tuner.train(
      run.headOnly,
      train.map(toPixelExample),
      holdout.map(toPixelExample),
      options,
      {
        ...(run.onProgress ? { onProgress: run.onProgress } : {}),
        ...(run.signal ? { signal: run.signal } : {}),
      },
      replay,
    );

    const points = (embeddings: Float32Array[]) =>
      holdout.map((h, i) => ({ embedding: embeddings[i]!, breed: dataset.breeds[h.example.breedIndex]! }));
    const activeEmbeddings = holdout.map((h) => h.example.embedding);
    const tunedEmbeddings = await tuner.embed(holdout.map((h) => h.pixels));
    const headOnly = await evaluateHead(run.headOnly, points(activeEmbeddings));
    const candidate = await evaluateHead(trained.head, points(tunedEmbeddings));
    const active = await evaluateHead(run.activeHead, points(activeEmbeddings));

    const tunedReferences = await tuner.embed(guardPhotos.map((r) => r.pixels));
    const guard = await forgettingGuard(
      trained.head,
      run.activeHead,
      guardPhotos.map((r) => r.embedding),
      run.trainedBreeds,
      tunedReferences,
    );

    const classifier = modelConfig.classifier;
    if (!('layer' in classifier)) throw new Error('fine-tuning needs a layers model with a classifier layer');
    const { kernel, bias } = tuner.classifierWeights(classifier.layer);
    const weights = {
      kernel,
      bias,
      embeddingDim: run.activeHead.inputDim,
      dogClasses: modelConfig.dogClasses,
    };
    const dogRate = (embeddings: Float32Array[]) =>
      embeddings.filter((e) => pretrainedSummary(e, weights).dogProbability >= DEFAULT_DOG_THRESHOLD).length /
      embeddings.length;
    const rates = { before: dogRate(activeEmbeddings), after: dogRate(tunedEmbeddings) };

    const problems: string[] = [];
    if (trained.bestEpoch === 0) problems.push('no epoch lowered the holdout loss');
    if (candidate.nonFinite) problems.push('NaN or infinite outputs');
    if (candidate.top1 < headOnly.top1)
      problems.push(`holdout top-1 ${pct(headOnly.top1)} → ${pct(candidate.top1)}`);
    if (!(candidate.loss <= headOnly.loss)) {
      problems.push(`holdout loss ${headOnly.loss.toFixed(3)} → ${candidate.loss.toFixed(3)}`);
    }
    if (guard.agreement < run.policy.minGuardAgreement) {
      problems.push(
        `${pct(guard.agreement)} agreement on other breeds (minimum ${pct(run.policy.minGuardAgreement)})`,
      );
    }
    if (rates.after < rates.before - MAX_DOG_RATE_DROP) {
      problems.push(
        `the not-a-dog check accepts ${pct(rates.after)} of the holdout dogs (was ${pct(rates.before)})`,
      );
    }
    keep = problems.length === 0;
    const report: SecondStageReport = {
      ...base,
      blocks: tuner.top.split.blocks,
      ran: true,
      kept: keep,
      reason: keep
        ? `kept: holdout top-1 ${pct(headOnly.top1)} → ${pct(candidate.top1)} over the head alone`
        : `not kept (${problems.join('; ')}); the head-only candidate goes on`,
      epochsRun: trained.epochsRun,
      bestEpoch: trained.bestEpoch,
      seconds: trained.seconds,
      photos,
      holdoutTop1: { headOnly: headOnly.top1, fineTuned: candidate.top1 },
      holdoutLoss: { headOnly: headOnly.loss, fineTuned: candidate.loss },
      guardAgreement: guard.agreement,
      dogRate: rates,
    };
    return keep ? { report, kept: { tuner, head: trained.head, candidate, active, guard } } : { report };
  } finally {
    if (!keep) tuner.dispose();
  }
}

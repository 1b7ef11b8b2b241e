/**
 * One second-stage epoch (src/training/fine-tune): the last backbone blocks and a breed head trained together on
 * photos, with holdout top-1 accuracy before and after.
 */
import { createHash } from 'node:crypto';
import type { BreedHead } from '../model/types.ts';
import { buildDataset } from '../training/dataset.ts';
import { argmax, headLogits } from '../model/head-math.ts';
import {
  BackboneFineTuner,
  type FineTuneModelSpec,
  type PixelExample,
} from '../training/fine-tune/backbone-fine-tuner.ts';
import { UnsupportedBackboneError } from '../training/fine-tune/top-split.ts';
import { trainHead } from '../training/train-head.ts';
import { zeroHead } from './head-bench.ts';
import { cycle, type ProofPhoto } from './photos.ts';
import type { Skipped, StepClock } from './time-box.ts';

export interface FineTuneSizes {
  /**
   * Only the epoch's time: no stage-one head (a zero head), no holdout, no accuracy. For the pure-JS cpu backend,
   * where every holdout pass takes about a second per photo.
   */
  timingOnly?: boolean;
  /** Training examples in the epoch (the photos are repeated, each time with a new random crop/flip). */
  trainPhotos: number;
  holdoutPhotos: number;
  blocks: number;
  batchSize: number;
}

export interface FineTuneFigure {
  trainPhotos: number;
  distinctTrainPhotos: number;
  holdoutPhotos: number;
  /** Blocks unfrozen (fewer than asked when a residual backbone's tail after its last merge has fewer). */
  blocks: number;
  /** The frozen trunk ends at this layer; everything after it up to the embedding was trained. */
  cutLayer: string;
  batchSize: number;
  /** BackboneFineTuner.train with maxEpochs 1: the epoch plus one holdout pass before and one after. */
  seconds: number;
  /** null with timingOnly. */
  holdoutTop1Before: number | null;
  holdoutTop1After: number | null;
  /** 0: the epoch did not lower the holdout loss, so the starting weights were kept (accuracy unchanged). */
  bestEpoch: number;
}

const hashOf = (s: string) => createHash('sha256').update(s).digest('hex');

/** Photos per embedding call: small enough that the step's clock is looked at often. */
const EMBED_CHUNK = 16;

/** tuner.embed in chunks, giving up with a reason when the step's time is spent (a slow device, e.g. software). */
async function embedInTime(
  tuner: BackboneFineTuner,
  pixels: readonly Uint8Array[],
  weights: 'trained' | 'initial',
  clock: StepClock,
  what: string,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let at = 0; at < pixels.length; at += EMBED_CHUNK) {
    if (clock.expired())
      throw new Error(`out of time embedding the ${what} (${at} of ${pixels.length} photos)`);
    out.push(...(await tuner.embed(pixels.slice(at, at + EMBED_CHUNK), weights)));
  }
  return out;
}

/** Top-1 accuracy of `head` on embeddings whose labels are known (typed-array maths: no tfjs read-back). */
function top1(head: BreedHead, embeddings: Float32Array[], labels: string[]): number {
  const hits = embeddings.filter((e, i) => head.breeds[argmax(headLogits(head, e))] === labels[i]).length;
  return hits / embeddings.length;
}

export async function benchFineTune(
  modelDir: string,
  spec: FineTuneModelSpec,
  photos: readonly ProofPhoto[],
  sizes: FineTuneSizes,
  clock: StepClock,
): Promise<FineTuneFigure | Skipped> {
  if (sizes.trainPhotos === 0) return { skipped: 'no training photos asked for' };
  const holdoutCount = sizes.timingOnly ? 0 : sizes.holdoutPhotos;
  if (photos.length < holdoutCount + 2) {
    return { skipped: `needs more than ${holdoutCount + 1} photos, has ${photos.length}` };
  }
  let tuner: BackboneFineTuner;
  try {
    tuner = await BackboneFineTuner.open(modelDir, spec, sizes.blocks);
  } catch (err) {
    if (err instanceof UnsupportedBackboneError) return { skipped: err.message };
    return { skipped: `the fine-tuner could not open the backbone: ${(err as Error).message}` };
  }
  try {
    // Photos are listed class by class in turn, so the last ones hold out every class.
    const holdout = photos.slice(photos.length - holdoutCount);
    // Only as many distinct photos as the epoch uses: each costs a forward pass for the stage-one head.
    const pool = photos.slice(0, Math.min(photos.length - holdoutCount, sizes.trainPhotos));
    const breeds = [...new Set(photos.map((p) => p.label))].sort();
    const index = new Map(breeds.map((b, i) => [b, i]));
    const holdoutLabels = holdout.map((p) => p.label);

    let stageOne: BreedHead;
    let before: number | null = null;
    if (sizes.timingOnly) {
      const [probe] = await tuner.embed([pool[0]!.pixels]);
      stageOne = zeroHead(breeds, probe!.length);
    } else {
      // The stage-one head the epoch starts from: the project's head trainer on the pool's embeddings.
      const poolEmbeddings = await embedInTime(
        tuner,
        pool.map((p) => p.pixels),
        'initial',
        clock,
        'training photos for the stage-one head',
      );
      const labels = pool.map((p, i) => ({
        imageId: p.file,
        sha256: hashOf(p.file),
        breed: p.label,
        weight: 1,
        embedding: poolEmbeddings[i]!,
      }));
      const start = zeroHead(breeds, poolEmbeddings[0]!.length);
      stageOne = (await trainHead(start, buildDataset(labels, start), { maxEpochs: 10 })).head;
      const holdoutBefore = await embedInTime(
        tuner,
        holdout.map((p) => p.pixels),
        'initial',
        clock,
        'holdout',
      );
      before = top1(stageOne, holdoutBefore, holdoutLabels);
    }
    const toExample = (p: ProofPhoto): PixelExample => ({
      pixels: p.pixels,
      breedIndex: index.get(p.label)!,
      weight: 1,
    });
    const run = await tuner.train(
      stageOne,
      cycle(pool, sizes.trainPhotos).map(toExample),
      holdout.map(toExample),
      { maxEpochs: 1, patience: 1, batchSize: sizes.batchSize, blocks: sizes.blocks },
      { signal: AbortSignal.timeout(Math.ceil(Math.max(1, clock.leftMs()))) },
    );
    const after = sizes.timingOnly
      ? null
      : top1(
          run.head,
          await tuner.embed(
            holdout.map((p) => p.pixels),
            'trained',
          ),
          holdoutLabels,
        );
    return {
      trainPhotos: sizes.trainPhotos,
      distinctTrainPhotos: pool.length,
      holdoutPhotos: holdout.length,
      blocks: tuner.top.split.blocks,
      cutLayer: tuner.top.split.cutLayer,
      batchSize: sizes.batchSize,
      seconds: run.seconds,
      holdoutTop1Before: before,
      holdoutTop1After: after,
      bestEpoch: run.bestEpoch,
    };
  } finally {
    tuner.dispose();
  }
}

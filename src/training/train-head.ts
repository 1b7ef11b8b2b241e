/**
 * Trains a breed head (dense softmax) on embeddings, starting from the active head.
 *
 * Loss per step = weighted cross-entropy on labelled embeddings
 *   + distillWeight · T² · KL(start ‖ candidate) at temperature T over the start head's breeds, on the labelled
 *     embeddings and on reference embeddings (stored images of other breeds, pseudo-examples)
 *   + l2ToStart/2 · ‖θ − θ_start‖².
 * Gradients are written out by hand (softmax regression) and applied with Adam; with `onlyLabelledBreeds` the
 * rows of breeds nobody labelled are frozen. Early stopping on the holdout cross-entropy keeps the best epoch.
 * Runs on whatever tfjs backend is active; the caller selects it.
 */
import * as tf from '@tensorflow/tfjs';
import type { BreedHead } from '../model/types.ts';
import type { TrainingDataset } from './dataset.ts';
import { fitNewBreedRows } from './new-breeds.ts';
import { createRng, shuffledIndices } from './prng.ts';
import { balancedWeights, expandHead, imprintNewBreeds } from './start-head.ts';
import {
  defaultTrainHeadOptions,
  type EpochFigures,
  type ProgressListener,
  type TrainHeadOptions,
  type TrainHeadResult,
} from './types.ts';

export interface TrainHeadExtras {
  /** Embeddings of stored images outside the labelled set (e.g. other breeds): distilled toward the start head. */
  referenceEmbeddings?: Float32Array[];
  /** Embeddings that belong to known breeds (pseudo-examples): a new breed's row must not take them. */
  negativeEmbeddings?: Float32Array[];
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export class TrainingAbortedError extends Error {
  constructor() {
    super('training was cancelled');
    this.name = 'AbortError';
  }
}

export async function trainHead(
  startHead: BreedHead,
  dataset: TrainingDataset,
  options: Partial<TrainHeadOptions> = {},
  extras: TrainHeadExtras = {},
): Promise<TrainHeadResult> {
  const o = { ...defaultTrainHeadOptions, ...options };
  const began = performance.now();
  if (dataset.train.length === 0) throw new Error('no labelled training images');
  const D = startHead.inputDim;
  const K = dataset.breeds.length;
  const start = expandHead(startHead, dataset.breeds, o.newBreedBias);
  if (o.imprintNewBreeds) imprintNewBreeds(start, dataset);
  await fitNewBreedRows(
    start,
    dataset,
    balancedWeights(dataset, o.maxBalanceWeight),
    extras.negativeEmbeddings ?? [],
    {
      steps: o.newBreedSteps,
      learningRate: o.newBreedLearningRate,
      l2: o.newBreedL2,
      negativeWeight: o.newBreedNegativeWeight,
    },
  );
  const oldBreeds = new Set(startHead.breeds);
  const trainedBreeds = new Set([...dataset.labelledBreeds, ...dataset.newBreeds]);
  const columnMask = Float32Array.from(dataset.breeds, (b) =>
    !o.onlyLabelledBreeds || trainedBreeds.has(b) ? 1 : 0,
  );
  // Distillation compares distributions over the breeds the start head knows; new outputs are pushed out of it.
  const oldOnly = Float32Array.from(dataset.breeds, (b) => (oldBreeds.has(b) ? 0 : -1e9));

  const reference = extras.referenceEmbeddings ?? [];
  const nTrain = dataset.train.length;
  const nRef = reference.length;
  // Large label sets take larger batches: fewer, better-filled matMuls per epoch.
  const batchSize = Math.max(o.batchSize, Math.ceil(nTrain / o.maxStepsPerEpoch));
  // References per step: a full small batch, but capped so large label sets do not pay twice per step.
  const refBatch = nRef === 0 ? 0 : Math.min(nRef, Math.max(o.batchSize, Math.ceil(batchSize / 4)));
  const rng = createRng(o.seed);

  const W0 = tf.tensor2d(start.kernel, [D, K]);
  const b0 = tf.tensor1d(start.bias);
  const W = tf.variable(W0.clone());
  const b = tf.variable(b0.clone());
  const mask = tf.tensor1d(columnMask);
  // New breeds have no earlier weights worth pulling back to.
  const l2Mask = tf.tensor1d(Float32Array.from(dataset.breeds, (b) => (oldBreeds.has(b) ? o.l2ToStart : 0)));
  const oldMask = tf.tensor1d(oldOnly);
  const xTrain = tf.tensor2d(
    stack(
      dataset.train.map((e) => e.embedding),
      D,
    ),
    [nTrain, D],
  );
  const yTrain = tf.tensor1d(
    Int32Array.from(dataset.train, (e) => e.breedIndex),
    'int32',
  );
  const wTrain = tf.tensor1d(balancedWeights(dataset, o.maxBalanceWeight));
  const xRef = nRef ? tf.tensor2d(stack(reference, D), [nRef, D]) : undefined;
  const teacher = (x: tf.Tensor2D) =>
    tf.tidy(() => tf.softmax(x.matMul(W0).add(b0).add(oldMask).div(o.temperature)));
  const qTrain = teacher(xTrain);
  const qRef = xRef ? teacher(xRef) : undefined;
  const nHold = dataset.holdout.length;
  const xHold = nHold
    ? tf.tensor2d(
        stack(
          dataset.holdout.map((e) => e.embedding),
          D,
        ),
        [nHold, D],
      )
    : undefined;
  const yHold = nHold
    ? tf.tensor1d(
        Int32Array.from(dataset.holdout, (e) => e.breedIndex),
        'int32',
      )
    : undefined;
  const optimizer = tf.train.adam(o.learningRate);
  const T = o.temperature;

  let best = { loss: Infinity, epoch: 0, W: W0.clone(), b: b0.clone() };
  let epochsRun = 0;
  const curve: EpochFigures[] = [];
  try {
    for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
      const epochStart = performance.now();
      const order = shuffledIndices(nTrain, rng);
      let lossSum = 0;
      let steps = 0;
      for (let s = 0; s < nTrain; s += batchSize) {
        if (extras.signal?.aborted) throw new TrainingAbortedError();
        const idx = tf.tensor1d(Int32Array.from(order.subarray(s, Math.min(s + batchSize, nTrain))), 'int32');
        const refIdx = refBatch
          ? tf.tensor1d(
              Int32Array.from({ length: refBatch }, () => Math.floor(rng() * nRef)),
              'int32',
            )
          : undefined;
        const loss = tf.tidy(() => {
          const x = tf.gather(xTrain, idx);
          const wts = tf.gather(wTrain, idx);
          const y = tf.oneHot(tf.gather(yTrain, idx), K).toFloat();
          const z = x.matMul(W).add(b);
          const p = tf.softmax(z);
          const ceW = wts.div(wts.sum()).expandDims(1);
          let grad = p.sub(y).mul(ceW);
          const lossValue = tf.sum(
            tf
              .log(tf.sum(p.mul(y), 1).add(1e-12))
              .mul(ceW.squeeze())
              .neg(),
          );
          let xAll: tf.Tensor2D = x;
          if (o.distillWeight > 0) {
            const pT = tf.softmax(z.add(oldMask).div(T));
            const q = tf.gather(qTrain, idx);
            grad = grad.add(pT.sub(q).mul((o.distillWeight * T) / idx.size));
          }
          if (refIdx && xRef && qRef && o.referenceDistillWeight > 0) {
            const xr = tf.gather(xRef, refIdx);
            const pr = tf.softmax(xr.matMul(W).add(b).add(oldMask).div(T));
            const gr = pr.sub(tf.gather(qRef, refIdx)).mul((o.referenceDistillWeight * T) / refIdx.size);
            grad = tf.concat([grad, gr], 0);
            xAll = tf.concat([x, xr], 0);
          }
          // wasm runs an explicit transpose + matMul far faster than matMul(transposeA).
          let gW = tf.transpose(xAll).matMul(grad);
          let gb = grad.sum(0);
          if (o.l2ToStart > 0) {
            gW = gW.add(W.sub(W0).mul(l2Mask));
            gb = gb.add(b.sub(b0).mul(l2Mask));
          }
          optimizer.applyGradients({ [W.name]: gW.mul(mask), [b.name]: gb.mul(mask) });
          return lossValue;
        });
        idx.dispose();
        refIdx?.dispose();
        lossSum += (await loss.data())[0]!;
        loss.dispose();
        steps++;
      }
      epochsRun = epoch;

      const hold =
        xHold && yHold ? await holdoutStats(xHold, yHold, W, b, K) : { loss: lossSum / steps, accuracy: NaN };
      if (hold.loss < best.loss || !o.restoreBest) {
        best.W.dispose();
        best.b.dispose();
        best = { loss: hold.loss, epoch, W: W.clone(), b: b.clone() };
      }
      const epochSeconds = (performance.now() - epochStart) / 1000;
      curve.push({ epoch, loss: lossSum / steps, holdoutAccuracy: hold.accuracy });
      extras.onProgress?.({
        epoch,
        epochs: o.maxEpochs,
        loss: lossSum / steps,
        holdoutLoss: hold.loss,
        holdoutAccuracy: hold.accuracy,
        etaSeconds: epochSeconds * (o.maxEpochs - epoch),
      });
      if (epoch - best.epoch >= o.patience) break;
      await new Promise((r) => setImmediate(r)); // let abort signals and messages through
    }
    const head: BreedHead = {
      breeds: [...dataset.breeds],
      inputDim: D,
      kernel: new Float32Array(await best.W.data()),
      bias: new Float32Array(await best.b.data()),
    };
    for (const breed of dataset.newBreeds) head.bias[dataset.breeds.indexOf(breed)]! += o.newBreedBiasShift;
    return {
      head,
      epochsRun,
      bestEpoch: best.epoch,
      holdoutLoss: best.loss,
      seconds: (performance.now() - began) / 1000,
      trainedBreeds: [...trainedBreeds].sort(),
      curve,
    };
  } finally {
    tf.dispose([W0, b0, W, b, mask, l2Mask, oldMask, xTrain, yTrain, wTrain, qTrain, best.W, best.b]);
    tf.dispose([xRef, qRef, xHold, yHold].filter((t): t is tf.Tensor => t !== undefined));
    optimizer.dispose();
  }
}

/** Embedding rows laid end to end, as a [rows, dim] tensor wants them. */
function stack(rows: Float32Array[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(r, i * dim));
  return out;
}

/** Read back asynchronously: tfjs's WebGPU backend cannot read synchronously in Node (it would need OffscreenCanvas). */
async function holdoutStats(
  x: tf.Tensor2D,
  y: tf.Tensor1D,
  W: tf.Variable,
  b: tf.Variable,
  K: number,
): Promise<{ loss: number; accuracy: number }> {
  const [l, a] = tf.tidy(() => {
    const z = x.matMul(W).add(b);
    const logp = tf.logSoftmax(z);
    const onehot = tf.oneHot(y, K).toFloat();
    return [logp.mul(onehot).sum(1).mean().neg(), tf.equal(z.argMax(1), y).toFloat().mean()];
  });
  try {
    return { loss: (await l.data())[0]!, accuracy: (await a.data())[0]! };
  } finally {
    tf.dispose([l, a]);
  }
}

/**
 * Fits the rows of breeds the start head does not know, before the joint fine-tune.
 *
 * A breed arriving with ~20 photos among hundreds gets too few optimizer steps in the joint training (which
 * stops early on the holdout loss of the breeds with many labels), so it ends up half-learnt. Here every other
 * output is frozen at the start weights and only the new columns are trained, full batch, for many steps: a
 * small logistic regression per new breed against the known breeds' fixed logits. Pseudo-examples of the known
 * breeds act as negatives (a new breed must not take their photos), and an L2 penalty keeps the new columns
 * from growing without bound on a separable handful of photos.
 */
import * as tf from '@tensorflow/tfjs';
import type { BreedHead } from '../model/types.ts';
import type { TrainingDataset } from './dataset.ts';

export interface NewBreedFitOptions {
  steps: number;
  learningRate: number;
  /** L2 penalty on the new columns' kernel (per example, like weight decay). */
  l2: number;
  /** Weight of the negatives' loss relative to the labelled examples'. */
  negativeWeight: number;
}

export const defaultNewBreedFitOptions: NewBreedFitOptions = {
  steps: 300,
  learningRate: 0.01,
  l2: 1e-3,
  negativeWeight: 1,
};

function stackRows(rows: Float32Array[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(r, i * dim));
  return out;
}

/**
 * Trains the columns of `dataset.newBreeds` in `head` (already widened, e.g. imprinted) in place.
 * `weights` are the training examples' weights (class-balanced); `negatives` are embeddings that belong to
 * known breeds (pseudo-examples).
 */
export async function fitNewBreedRows(
  head: BreedHead,
  dataset: TrainingDataset,
  weights: Float32Array,
  negatives: Float32Array[],
  options: Partial<NewBreedFitOptions> = {},
): Promise<void> {
  const o = { ...defaultNewBreedFitOptions, ...options };
  const D = head.inputDim;
  const K = head.breeds.length;
  const newIdx = dataset.newBreeds.map((b) => head.breeds.indexOf(b)).filter((j) => j >= 0);
  const m = newIdx.length;
  if (m === 0 || o.steps <= 0 || dataset.train.length === 0) return;
  const isNew = new Set(newIdx);
  const oldIdx = [...Array(K).keys()].filter((j) => !isNew.has(j));
  const oldPos = new Map(oldIdx.map((j, i) => [j, i]));
  const newPos = new Map(newIdx.map((j, i) => [j, i]));

  const n = dataset.train.length;
  const nNeg = negatives.length;
  const kernelOld = new Float32Array(D * oldIdx.length);
  const kernelNew = new Float32Array(D * m);
  for (let d = 0; d < D; d++) {
    oldIdx.forEach((j, i) => (kernelOld[d * oldIdx.length + i] = head.kernel[d * K + j]!));
    newIdx.forEach((j, i) => (kernelNew[d * m + i] = head.kernel[d * K + j]!));
  }
  const biasOld = Float32Array.from(oldIdx, (j) => head.bias[j]!);
  const biasNew = Float32Array.from(newIdx, (j) => head.bias[j]!);

  // Targets over [old..., new...]: one-hot for labelled examples, none of the new breeds for negatives.
  const yOld = new Float32Array(n * oldIdx.length);
  const yNew = new Float32Array(n * m);
  dataset.train.forEach((e, i) => {
    const p = newPos.get(e.breedIndex);
    if (p !== undefined) yNew[i * m + p] = 1;
    else yOld[i * oldIdx.length + oldPos.get(e.breedIndex)!] = 1;
  });
  const total = weights.reduce((s, w) => s + w, 0);
  const exampleWeight = Float32Array.from(weights, (w) => w / total);

  const Wn = tf.variable(tf.tensor2d(kernelNew, [D, m]));
  const bn = tf.variable(tf.tensor1d(biasNew));
  const optimizer = tf.train.adam(o.learningRate);
  const fixed = tf.tidy(() => {
    const x = tf.tensor2d(
      stackRows(
        dataset.train.map((e) => e.embedding),
        D,
      ),
      [n, D],
    );
    const Wo = tf.tensor2d(kernelOld, [D, oldIdx.length]);
    const bo = tf.tensor1d(biasOld);
    const xNeg = nNeg ? tf.tensor2d(stackRows(negatives, D), [nNeg, D]) : undefined;
    return {
      x,
      xT: tf.transpose(x),
      zOld: x.matMul(Wo).add(bo),
      yNew: tf.tensor2d(yNew, [n, m]),
      w: tf.tensor2d(exampleWeight, [n, 1]),
      xNeg,
      xNegT: xNeg ? tf.transpose(xNeg) : undefined,
      zOldNeg: xNeg ? xNeg.matMul(Wo).add(bo) : undefined,
    };
  });
  try {
    for (let step = 0; step < o.steps; step++) {
      tf.tidy(() => {
        // Softmax over [old logits (fixed), new logits]; only the new part of (p - y) matters for Wn, bn.
        const zNew = fixed.x.matMul(Wn).add(bn);
        const p = tf.softmax(tf.concat([fixed.zOld, zNew], 1));
        const pNew = p.slice([0, oldIdx.length], [n, m]);
        const g = pNew.sub(fixed.yNew).mul(fixed.w);
        let gW = fixed.xT.matMul(g).add(Wn.mul(o.l2));
        let gb = g.sum(0);
        if (fixed.xNeg && fixed.xNegT && fixed.zOldNeg && o.negativeWeight > 0) {
          const zNegNew = fixed.xNeg.matMul(Wn).add(bn);
          const pn = tf.softmax(tf.concat([fixed.zOldNeg, zNegNew], 1)).slice([0, oldIdx.length], [nNeg, m]);
          const gn = pn.mul(o.negativeWeight / nNeg);
          gW = gW.add(fixed.xNegT.matMul(gn));
          gb = gb.add(gn.sum(0));
        }
        optimizer.applyGradients([
          { name: Wn.name, tensor: gW },
          { name: bn.name, tensor: gb },
        ]);
      });
    }
    // Read back asynchronously: tfjs's WebGPU backend cannot read synchronously in Node.
    const [w, b] = [await Wn.data(), await bn.data()];
    for (let d = 0; d < D; d++) newIdx.forEach((j, i) => (head.kernel[d * K + j] = w[d * m + i]!));
    newIdx.forEach((j, i) => (head.bias[j] = b[i]!));
  } finally {
    tf.dispose([Wn, bn, ...Object.values(fixed).filter((t): t is tf.Tensor => t !== undefined)]);
    optimizer.dispose();
  }
}

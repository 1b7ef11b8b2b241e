/**
 * How far any head on this frozen embedding can take the mix rule on 50/50 blends: heads trained *for* blends.
 *
 * The bench's blends test the shipped head, which never saw a blend. This asks the stronger question: if a head
 * were trained on blends (pixel-space mixup: imagewoof/train photos of two different breeds blended 50/50 by the
 * same code, target half of each breed), would held-out val blends of the same ten breeds get both breeds as
 * their top two? Two heads over the ten breeds, trained on pure train photos plus train blends:
 * - linear: a softmax layer, what breedbot's head is;
 * - mlp: one hidden ReLU layer (512, dropout 0.3), a head with more capacity than breedbot has.
 * Both are scored on the bench's own val photos and val blends. Training and evaluating on the same ten breeds
 * and the same blending flatters them: this is an upper bound, not a recipe.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, shuffledIndices } from '../src/training/prng.ts';
import type { BreedProbability } from '../src/model/types.ts';

export type BlendHeadKind = 'linear' | 'mlp';

export interface BlendTrainingSet {
  breeds: string[];
  pure: { embedding: Float32Array; breed: string }[];
  blends: { embedding: Float32Array; breedA: string; breedB: string }[];
}

export interface BlendHeadOptions {
  epochs: number;
  seed: number;
}

/** Trains one head on `set` and returns a scorer: embeddings → the ten breeds, most likely first. */
export async function trainBlendHead(
  kind: BlendHeadKind,
  set: BlendTrainingSet,
  { epochs, seed }: BlendHeadOptions,
): Promise<{ score: (embeddings: Float32Array[]) => BreedProbability[][]; dispose: () => void }> {
  const K = set.breeds.length;
  const dim = set.pure[0]!.embedding.length;
  const index = new Map(set.breeds.map((b, i) => [b, i]));
  const rows = [
    ...set.pure.map((p) => ({ x: p.embedding, y: [[index.get(p.breed)!, 1]] })),
    ...set.blends.map((b) => ({
      x: b.embedding,
      y: [
        [index.get(b.breedA)!, 0.5],
        [index.get(b.breedB)!, 0.5],
      ],
    })),
  ];
  // A seeded order: tfjs's own shuffle uses Math.random.
  const order = shuffledIndices(rows.length, createRng(seed));
  const x = new Float32Array(rows.length * dim);
  const y = new Float32Array(rows.length * K);
  order.forEach((r, i) => {
    x.set(rows[r]!.x, i * dim);
    for (const [k, share] of rows[r]!.y) y[i * K + k!]! += share!;
  });
  const init = () => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential();
  if (kind === 'mlp') {
    model.add(
      tf.layers.dense({ units: 512, activation: 'relu', inputShape: [dim], kernelInitializer: init() }),
    );
    model.add(tf.layers.dropout({ rate: 0.3, seed }));
    model.add(tf.layers.dense({ units: K, activation: 'softmax', kernelInitializer: init() }));
  } else {
    model.add(
      tf.layers.dense({ units: K, activation: 'softmax', inputShape: [dim], kernelInitializer: init() }),
    );
  }
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const xs = tf.tensor2d(x, [rows.length, dim]);
  const ys = tf.tensor2d(y, [rows.length, K]);
  try {
    await model.fit(xs, ys, { epochs, batchSize: 64, shuffle: false, verbose: 0 });
  } finally {
    tf.dispose([xs, ys]);
  }
  const score = (embeddings: Float32Array[]) =>
    tf.tidy(() => {
      const input = tf.tensor2d(Float32Array.from(embeddings.flatMap((e) => Array.from(e))), [
        embeddings.length,
        dim,
      ]);
      const probabilities = (model.predict(input) as tf.Tensor2D).arraySync();
      return probabilities.map((p) =>
        p
          .map((probability, k) => ({ breed: set.breeds[k]!, probability }))
          .sort((a, b) => b.probability - a.probability)
          .slice(0, 5),
      );
    });
  return { score, dispose: () => model.dispose() };
}

/**
 * Stage two of training (optional, off by default): fine-tunes the last blocks of the backbone together with the
 * breed head on the stored photos, with random crop and mirror augmentation. The trunk before those blocks stays
 * frozen and runs outside the gradient tape. Forgetting is held back the same way as in the head trainer:
 * distillation toward what the starting model (its backbone and the stage-one head) said on the same augmented
 * photo, for every breed, plus a low learning rate and early stopping on the holdout loss.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileModelHandler, type ModelJson } from '../../model/model-files.ts';
import { readLayersModel, type LayersModelFiles } from '../../model/onnx/layers-model.ts';
import type { BreedHead } from '../../model/types.ts';
import { createRng, shuffledIndices } from '../prng.ts';
import type { ProgressListener } from '../types.ts';
import { augmentImages, drawAugmentations } from './augment.ts';
import { buildTrainableTop, type TrainableTop } from './trainable-top.ts';

export interface FineTuneOptions {
  /** Backbone blocks to unfreeze, counted back from the embedding. */
  blocks: number;
  maxEpochs: number;
  batchSize: number;
  learningRate: number;
  /** Epochs without a lower holdout loss before stopping (the best epoch's weights are kept). */
  patience: number;
  /** Weight of distillation toward the starting model on each augmented labelled photo. */
  distillWeight: number;
  /** Weight of distillation on replayed photos nobody labelled: they hold the other breeds in place. */
  replayDistillWeight: number;
  /** Replayed photos added to each batch (cycling through them). */
  replayPerBatch: number;
  temperature: number;
  minCropArea: number;
  flip: boolean;
  seed: number;
}

export const defaultFineTuneOptions: FineTuneOptions = {
  blocks: 2,
  maxEpochs: 5,
  batchSize: 16,
  learningRate: 1e-4,
  patience: 2,
  distillWeight: 1,
  replayDistillWeight: 3,
  replayPerBatch: 8,
  temperature: 2,
  minCropArea: 0.6,
  flip: true,
  seed: 1,
};

/** What the backbone needs to know about its input and cut. */
export interface FineTuneModelSpec {
  inputSize: number;
  normalisation: { scale: number; offset: number };
  embeddingLayer: string;
}

/** A photo decoded to inputSize x inputSize RGB bytes (HWC), with its breed as an output of the head. */
export interface PixelExample {
  pixels: Uint8Array;
  breedIndex: number;
  weight: number;
}

export interface FineTuneRun {
  head: BreedHead;
  epochsRun: number;
  /** 0 when no epoch beat the starting weights (the result is then the starting model). */
  bestEpoch: number;
  holdoutLoss: { start: number; best: number };
  seconds: number;
}

interface RunHooks {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

const EVAL_BATCH = 32;

export class BackboneFineTuner {
  private constructor(
    private readonly modelDir: string,
    private readonly spec: FineTuneModelSpec,
    private readonly files: LayersModelFiles,
    private readonly model: tf.LayersModel,
    private readonly trunk: tf.LayersModel,
    readonly top: TrainableTop,
  ) {}

  static async open(modelDir: string, spec: FineTuneModelSpec, blocks: number): Promise<BackboneFineTuner> {
    const files = await readLayersModel(modelDir);
    const top = buildTrainableTop(files, spec.embeddingLayer, blocks);
    const model = await tf.loadLayersModel(fileModelHandler(modelDir));
    const trunk = tf.model({
      inputs: model.inputs,
      outputs: model.getLayer(top.split.cutLayer).output as tf.SymbolicTensor,
    });
    return new BackboneFineTuner(modelDir, spec, files, model, trunk, top);
  }

  /** Normalised model input from decoded pixels, in one tensor. */
  #inputs(pixels: readonly Uint8Array[]): tf.Tensor4D {
    const size = this.spec.inputSize;
    const { scale, offset } = this.spec.normalisation;
    return tf.tidy(() => {
      const flat = new Uint8Array(pixels.length * size * size * 3);
      pixels.forEach((p, i) => flat.set(p, i * size * size * 3));
      return tf.tensor4d(flat, [pixels.length, size, size, 3], 'int32').toFloat().mul(scale).add(offset);
    });
  }

  #trunkFeatures(images: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => this.trunk.predict(images) as tf.Tensor);
  }

  /** Embeddings with the current (or the starting) top weights, no augmentation. */
  async embed(
    pixels: readonly Uint8Array[],
    weights: 'trained' | 'initial' = 'trained',
  ): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < pixels.length; start += EVAL_BATCH) {
      const chunk = pixels.slice(start, start + EVAL_BATCH);
      const embedded = tf.tidy(() => {
        const features = this.#trunkFeatures(this.#inputs(chunk));
        return weights === 'trained' ? this.top.apply(features) : this.top.applyInitial(features);
      });
      const data = (await embedded.data()) as Float32Array;
      const dim = embedded.shape[1];
      embedded.dispose();
      for (let i = 0; i < chunk.length; i++) out.push(data.slice(i * dim, (i + 1) * dim));
    }
    return out;
  }

  async train(
    startHead: BreedHead,
    train: PixelExample[],
    holdout: PixelExample[],
    options: Partial<FineTuneOptions> = {},
    hooks: RunHooks = {},
    /** Stored photos nobody labelled: distilled on (never given a label), so other breeds are not forgotten. */
    replay: readonly Uint8Array[] = [],
  ): Promise<FineTuneRun> {
    const o = { ...defaultFineTuneOptions, ...options };
    if (train.length === 0) throw new Error('stage two needs training photos');
    const began = performance.now();
    const k = startHead.breeds.length;
    const rng = createRng(o.seed);
    const headKernel = tf.variable(tf.tensor2d(startHead.kernel, [startHead.inputDim, k]), true);
    const headBias = tf.variable(tf.tensor1d(startHead.bias), true);
    const teacherKernel = tf.tensor2d(startHead.kernel, [startHead.inputDim, k]);
    const teacherBias = tf.tensor1d(startHead.bias);
    const optimizer = tf.train.adam(o.learningRate);
    const trainables = [...this.top.variables.values(), headKernel, headBias];
    const holdoutPixels = holdout.map((e) => e.pixels);

    const holdoutLoss = async (): Promise<number> => {
      if (holdout.length === 0) return Number.NaN;
      const embeddings = await this.embed(holdoutPixels);
      const loss = tf.tidy(() => {
        const logits = tf.matMul(tf.stack(embeddings.map((e) => tf.tensor1d(e))), headKernel).add(headBias);
        const labels = tf.oneHot(
          holdout.map((e) => e.breedIndex),
          k,
        );
        return tf.losses.softmaxCrossEntropy(labels, logits);
      });
      const value = (await loss.data())[0]!;
      loss.dispose();
      return value;
    };
    const snapshot = async () => ({
      top: await this.top.read(),
      kernel: (await headKernel.data()) as Float32Array,
      bias: (await headBias.data()) as Float32Array,
    });

    try {
      const start = await holdoutLoss();
      let best = { loss: start, epoch: 0, weights: await snapshot() };
      let epochsRun = 0;
      for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
        const order = shuffledIndices(train.length, rng);
        const replayOrder = shuffledIndices(replay.length, rng);
        let replayAt = 0;
        let lossSum = 0;
        for (let at = 0; at < order.length; at += o.batchSize) {
          if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('training was cancelled');
          const batch = Array.from(order.subarray(at, at + o.batchSize), (i) => train[i]!);
          const replayed = Array.from({ length: Math.min(o.replayPerBatch, replay.length) }, () => {
            const pixels = replay[replayOrder[replayAt % replay.length]!]!;
            replayAt++;
            return pixels;
          });
          const n = batch.length;
          const plan = drawAugmentations(n + replayed.length, rng, o);
          const features = tf.tidy(() =>
            this.#trunkFeatures(
              augmentImages(this.#inputs([...batch.map((e) => e.pixels), ...replayed]), plan),
            ),
          );
          const teacherLog = tf.tidy(() =>
            tf.logSoftmax(
              tf.matMul(this.top.applyInitial(features), teacherKernel).add(teacherBias).div(o.temperature),
            ),
          );
          const teacher = tf.exp(teacherLog);
          const labels = tf.oneHot(
            batch.map((e) => e.breedIndex),
            k,
          );
          const weights = tf.tensor1d(batch.map((e) => e.weight));
          const cost = optimizer.minimize(
            () => {
              const logits = tf.matMul(this.top.apply(features), headKernel).add(headBias);
              const ce = tf.losses.softmaxCrossEntropy(labels, logits.slice(0, n), weights);
              const studentLog = tf.logSoftmax(logits.div(o.temperature));
              // KL(teacher || student) per photo, scaled by T² so its gradients keep their size as T changes.
              const kl = tf.sum(tf.mul(teacher, tf.sub(teacherLog, studentLog)), 1).mul(o.temperature ** 2);
              let loss = ce.add(tf.mean(kl.slice(0, n)).mul(o.distillWeight));
              if (replayed.length > 0) loss = loss.add(tf.mean(kl.slice(n)).mul(o.replayDistillWeight));
              return loss as tf.Scalar;
            },
            true,
            trainables,
          );
          lossSum += (await cost!.data())[0]! * batch.length;
          tf.dispose([cost!, features, teacher, teacherLog, labels, weights]);
        }
        epochsRun = epoch;
        const loss = await holdoutLoss();
        if (!Number.isFinite(loss) && holdout.length > 0) break;
        const improved = holdout.length === 0 || loss < best.loss;
        if (improved) best = { loss, epoch, weights: await snapshot() };
        const elapsed = (performance.now() - began) / 1000;
        hooks.onProgress?.({
          epoch,
          epochs: o.maxEpochs,
          loss: lossSum / train.length,
          holdoutLoss: loss,
          holdoutAccuracy: Number.NaN,
          etaSeconds: (elapsed / epoch) * (o.maxEpochs - epoch),
        });
        if (epoch - best.epoch >= o.patience) break;
      }
      this.top.assign(best.weights.top);
      return {
        head: { ...startHead, kernel: best.weights.kernel, bias: best.weights.bias },
        epochsRun,
        bestEpoch: best.epoch,
        holdoutLoss: { start, best: best.loss },
        seconds: (performance.now() - began) / 1000,
      };
    } finally {
      tf.dispose([headKernel, headBias, teacherKernel, teacherBias]);
      optimizer.dispose();
    }
  }

  /**
   * Writes the whole backbone, with the trained blocks, as a tfjs layers model folder (model.json + weights.bin)
   * of the same topology as the one it was opened from.
   */
  async save(dir: string): Promise<void> {
    const original = JSON.parse(await readFile(path.join(this.modelDir, 'model.json'), 'utf8')) as ModelJson;
    const trained = await this.top.read();
    const specs: { name: string; shape: number[]; dtype: string }[] = [];
    const parts: Buffer[] = [];
    for (const [name, weight] of this.files.weights) {
      const data = trained.get(name) ?? weight.data;
      specs.push({ name, shape: weight.shape, dtype: 'float32' });
      parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
    const modelJson: ModelJson = {
      ...original,
      weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    };
    await writeFile(path.join(dir, 'weights.bin'), Buffer.concat(parts));
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(modelJson));
  }

  /** The pretrained classifier after the embedding (for the not-a-dog check), from the opened model's weights. */
  classifierWeights(layer: string): { kernel: Float32Array; bias: Float32Array } {
    const kernel = this.files.weights.get(`${layer}/kernel`);
    const bias = this.files.weights.get(`${layer}/bias`);
    if (!kernel || !bias) throw new Error(`the backbone has no classifier layer '${layer}'`);
    return { kernel: kernel.data, bias: bias.data };
  }

  dispose(): void {
    this.top.dispose();
    this.model.dispose();
  }
}

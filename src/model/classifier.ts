import type { Backbone } from './backbone.ts';
import type { EmbeddingEngine } from './inference/engine.ts';
import { breedNames } from './breed-names.ts';
import { assertHeadShape, headProbabilities, sliceHead, topBreeds } from './head-math.ts';
import {
  pretrainedProbabilities,
  pretrainedSummary,
  type PretrainedSummary,
  type PretrainedWeights,
} from './pretrained.ts';
import type { BreedHead, ClassifyResult, ModelInput } from './types.ts';

export interface ClassifierOptions {
  /** An image is a dog when the pretrained classifier puts at least this much probability on dog classes. */
  dogThreshold?: number;
  /**
   * Computes the embeddings (a worker pool, ONNX Runtime, batching...); the backbone's own `embed` when absent.
   * The backbone still supplies the config and the pretrained classifier weights.
   */
  engine?: EmbeddingEngine;
  /**
   * Set when the classifier owns its backbone and engine (a fine-tuned backbone loaded for one version): it
   * holds one reference, and the last `release()` frees them. Absent when someone else owns them (the runtime).
   */
  ownership?: SharedOwnership;
}

/**
 * Reference count over a backbone and engine shared by the classifiers `withHead` makes from one owning
 * classifier. The last release frees them, once.
 */
export class SharedOwnership {
  readonly #free: () => Promise<void>;
  #holders = 0;
  #freed: Promise<void> | undefined;

  constructor(free: () => Promise<void>) {
    this.#free = free;
  }

  retain(): void {
    if (this.#freed) throw new Error('the backbone and engine of this classifier have been freed');
    this.#holders++;
  }

  release(): Promise<void> {
    if (this.#freed) return this.#freed;
    this.#holders--;
    if (this.#holders > 0) return Promise.resolve();
    this.#freed = this.#free();
    return this.#freed;
  }
}

export const DEFAULT_DOG_THRESHOLD = 0.5;

/** The version id of a backbone's untrained head, e.g. "base-mobilenet_v1_0.75_224". */
export const baseVersionOf = (backbone: Backbone) => `base-${backbone.id}`;

/** The day-one breed head: the pretrained classifier's dog outputs, with readable names. */
export function baseHeadOf(backbone: Backbone): BreedHead {
  const { first, last } = backbone.config.dogClasses;
  const { kernel, bias, labels } = backbone.classifier;
  const breeds = breedNames(labels.synonyms, { first, last }, labels.synsets);
  return sliceHead(
    kernel,
    bias,
    backbone.embeddingDim,
    breeds.map((b) => b.imagenetIndex),
    breeds.map((b) => b.name),
  );
}

/**
 * Embedding -> breeds. Holds one frozen backbone and one head version; `withHead` makes a classifier for
 * another version over the same backbone (nothing is reloaded), which is what hot-swapping builds on.
 * A classifier that owns its backbone (see ClassifierOptions.ownership) shares it with the classifiers made
 * from it; each of them calls `release()` when it is retired.
 */
export class BreedClassifier {
  readonly dogThreshold: number;
  readonly engine: EmbeddingEngine | undefined;
  readonly #ownership: SharedOwnership | undefined;
  #released: Promise<void> | undefined;

  constructor(
    readonly backbone: Backbone,
    readonly head: BreedHead,
    readonly modelVersion: string,
    options: ClassifierOptions = {},
  ) {
    assertHeadShape(head, backbone.embeddingDim);
    this.dogThreshold = options.dogThreshold ?? DEFAULT_DOG_THRESHOLD;
    this.engine = options.engine;
    if (!(this.dogThreshold > 0 && this.dogThreshold <= 1)) throw new Error('dogThreshold must be in (0, 1]');
    this.#ownership = options.ownership;
    this.#ownership?.retain();
  }

  /** True when this classifier holds a reference to its backbone and engine (false for the runtime's). */
  get ownsBackbone(): boolean {
    return this.#ownership !== undefined;
  }

  withHead(head: BreedHead, modelVersion: string): BreedClassifier {
    if (this.#released) throw new Error(`the classifier of ${this.modelVersion} has been released`);
    return new BreedClassifier(this.backbone, head, modelVersion, {
      dogThreshold: this.dogThreshold,
      ...(this.engine ? { engine: this.engine } : {}),
      ...(this.#ownership ? { ownership: this.#ownership } : {}),
    });
  }

  /**
   * Drops this classifier's reference to the backbone and engine it shares (idempotent). The last one lets
   * the engine finish the requests it accepted, stops it and frees the backbone's tensors; resolves then.
   * Does nothing for a classifier that owns nothing (the runtime's base classifier is swapped out and back in).
   */
  release(): Promise<void> {
    if (!this.#ownership) return Promise.resolve();
    this.#released ??= this.#ownership.release();
    return this.#released;
  }

  embed(inputs: readonly ModelInput[]): Promise<Float32Array[]> {
    return (this.engine ?? this.backbone).embed(inputs);
  }

  /** The pretrained classifier's probabilities (1000 ImageNet classes for the default backbone). */
  pretrainedProbabilities(embedding: Float32Array): Float64Array {
    return pretrainedProbabilities(embedding, this.#pretrainedWeights());
  }

  #pretrainedWeights(): PretrainedWeights {
    const { kernel, bias } = this.backbone.classifier;
    return {
      kernel,
      bias,
      embeddingDim: this.backbone.embeddingDim,
      dogClasses: this.backbone.config.dogClasses,
    };
  }

  /**
   * Top 5 breeds and the not-a-dog verdict for one embedding. `pretrained` is the ImageNet summary when the
   * engine already computed it next to the backbone (it is computed here otherwise).
   */
  classifyEmbedding(embedding: Float32Array, pretrained?: PretrainedSummary): ClassifyResult {
    const { dogProbability, bestOther, bestOtherProbability } =
      pretrained ?? pretrainedSummary(embedding, this.#pretrainedWeights());
    const isDog = dogProbability >= this.dogThreshold;
    const result: ClassifyResult = {
      isDog,
      top5: topBreeds(this.head, headProbabilities(this.head, embedding), 5),
      dogProbability,
      embedding,
      modelVersion: this.modelVersion,
      backboneId: this.backbone.id,
    };
    if (!isDog && bestOther >= 0) {
      const label = this.backbone.classifier.labels.synonyms[bestOther]?.[0] ?? `class ${bestOther}`;
      result.lookslike = { label, probability: bestOtherProbability };
    }
    return result;
  }

  classifyEmbeddings(embeddings: readonly Float32Array[]): ClassifyResult[] {
    return embeddings.map((e) => this.classifyEmbedding(e));
  }

  /** Classifies several images with one batched backbone call. */
  async classifyMany(inputs: readonly ModelInput[]): Promise<ClassifyResult[]> {
    if (this.engine?.embedDetailed) {
      const embedded = await this.engine.embedDetailed(inputs);
      return embedded.map((e) => this.classifyEmbedding(e.embedding, e.pretrained));
    }
    return this.classifyEmbeddings(await this.embed(inputs));
  }

  async classify(input: ModelInput): Promise<ClassifyResult> {
    const [result] = await this.classifyMany([input]);
    return result!;
  }
}

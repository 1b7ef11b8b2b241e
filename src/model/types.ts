/** Shared shapes of the model domain. Nothing here knows about Discord or the database. */

/** A dense softmax layer over breeds: probabilities = softmax(embedding · kernel + bias). */
export interface BreedHead {
  /** Output order: breeds[i] is the name of output i. Readable names, e.g. "Rhodesian Ridgeback". */
  breeds: string[];
  /** Length of the embedding the head takes (768 for the default MobileNet v1 0.75). */
  inputDim: number;
  /** [inputDim, breeds.length], row-major: the layout of a tfjs dense kernel. */
  kernel: Float32Array;
  /** [breeds.length] */
  bias: Float32Array;
}

export interface BreedProbability {
  breed: string;
  probability: number;
}

export interface ClassifyResult {
  /** False when the ImageNet head puts most of its mass outside the dog classes. */
  isDog: boolean;
  /** Best five breeds, most likely first (present even when isDog is false). */
  top5: BreedProbability[];
  /** When not a dog: the ImageNet class it looks like most, e.g. { label: "tabby cat", probability: 0.81 }. */
  lookslike?: { label: string; probability: number };
  /** Share of ImageNet probability on the dog classes. */
  dogProbability: number;
  /** The backbone's pooled output for this image (768-d for the default). */
  embedding: Float32Array;
  /** Which breed-head version produced top5. */
  modelVersion: string;
  /** Which backbone produced the embedding; embeddings are only comparable within one backbone. */
  backboneId: string;
}

/** A preprocessed image ready for the backbone: size*size*3 floats, already normalised, HWC order. */
export interface ModelInput {
  data: Float32Array;
  size: number;
}

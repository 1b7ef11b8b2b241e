/** The model and image intake as the services use them; implemented over src/model and src/images. */
import type { DogAnswer } from '../detection/index.ts';
import type { PhotoExplanation } from '../model/explain/explain-photo.ts';
import type { ClassifyResult } from '../model/types.ts';

export interface ModelGateway {
  readonly backend: string;
  /** What runs the dog detector (DETECTOR_ENGINE's outcome, e.g. "onnxruntime-node + tfjs"); null when it is off. */
  readonly detectorEngine: string | null;
  /** The serving classifier's backbone (a fine-tuned one after such a version is promoted). */
  readonly backboneId: string;
  activeVersion(): string;
  breedCount(): number;
  /**
   * Decodes and classifies one image on the model serving right now (a hot-swap lets it finish on its model).
   * The single async door to inference: the performance work can move it to a worker without touching callers.
   * Throws ImageRejectedError for bad bytes.
   */
  classifyBytes(bytes: Uint8Array): Promise<{ result: ClassifyResult; image: ImageFacts }>;
  /**
   * With the detector on (DETECTOR=on): each dog of a photo with several, named on its own, on the same serving
   * model; [] for one dog or none. Absent when the detector is off.
   */
  classifyEachDog?(bytes: Uint8Array): Promise<DogAnswer[]>;
  /** The occlusion map of the top breed on the serving model (50 embeddings, off the main thread). */
  explainBytes(bytes: Uint8Array): Promise<PhotoExplanation>;
  dispose(): Promise<void>;
}

export interface ImageFacts {
  sha256: string;
  width: number;
  height: number;
  format: string;
}

export interface UrlFetcher {
  /** SSRF-safe download. `allowLoopback` only for origins the operator trusts (the sandbox's file host). */
  fetch(url: string, allowLoopback: boolean): Promise<Uint8Array>;
}

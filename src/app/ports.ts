/** The model and image intake as the services use them; implemented over src/model and src/images. */
import type { ClassifyResult } from '../model/types.ts';

export interface ModelGateway {
  readonly backend: string;
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

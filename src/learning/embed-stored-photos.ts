/**
 * Stored photos → embeddings, in batches through a backbone's serving engine (worker threads or ONNX Runtime, like
 * serving), each stored under that backbone's id so the next run finds it. A photo whose file is gone or cannot be
 * decoded is skipped, with why. The training set (missing embeddings) and a backbone switch (every photo) use it.
 */
import { prepareModelInput, type ImageLimits, type InputSpec } from '../images/decode.ts';
import type { ModelInput } from '../model/types.ts';
import type { Database } from '../storage/database.ts';
import { saveEmbedding } from '../storage/embeddings.ts';
import { readImageBytes } from '../storage/images.ts';

export interface PhotoEmbedder {
  db: Database;
  backboneId: string;
  /** Embeds preprocessed images with the backbone (its serving engine: batched, off the main thread). */
  embed(inputs: ModelInput[]): Promise<Float32Array[]>;
  imageSpec: InputSpec;
  limits?: ImageLimits;
}

export interface EmbedPhotosOptions {
  /** Photos decoded and embedded per engine call (default 16). */
  batch?: number;
  /** Checked before each batch. */
  signal?: AbortSignal;
  /** After each batch: how many photos are handled so far (embedded or skipped), and what this batch stored. */
  onBatch?: (handled: number, stored: Map<string, Float32Array>) => void;
}

export interface EmbedPhotosResult {
  /** Embeddings computed and stored. */
  computed: number;
  skipped: { imageId: string; reason: string }[];
}

export async function embedStoredPhotos(
  embedder: PhotoEmbedder,
  photos: { imageId: string; sha256: string }[],
  options: EmbedPhotosOptions = {},
): Promise<EmbedPhotosResult> {
  const { db, backboneId } = embedder;
  const batch = options.batch ?? 16;
  const skipped: EmbedPhotosResult['skipped'] = [];
  let computed = 0;
  for (let start = 0; start < photos.length; start += batch) {
    options.signal?.throwIfAborted();
    const chunk = photos.slice(start, start + batch);
    const prepared = await Promise.all(
      chunk.map(async (photo) => {
        try {
          const bytes = await readImageBytes(db, photo);
          return {
            photo,
            input: (await prepareModelInput(bytes, embedder.imageSpec, embedder.limits)).input,
          };
        } catch (err) {
          skipped.push({ imageId: photo.imageId, reason: (err as Error).message });
          return null;
        }
      }),
    );
    const ok = prepared.filter((p) => p !== null);
    const stored = new Map<string, Float32Array>();
    if (ok.length > 0) {
      const vectors = await embedder.embed(ok.map((p) => p.input));
      for (const [i, p] of ok.entries()) {
        const vector = vectors[i]!;
        await saveEmbedding(db, p.photo.imageId, backboneId, vector);
        stored.set(p.photo.imageId, vector);
      }
      computed += ok.length;
    }
    options.onBatch?.(start + chunk.length, stored);
  }
  return { computed, skipped };
}

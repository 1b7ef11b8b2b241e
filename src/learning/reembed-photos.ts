/**
 * Re-embeds every stored photo with another backbone (a backbone switch), in batches, through that backbone's
 * serving engine (worker threads or ONNX Runtime, like serving), and stores each embedding under the backbone's
 * id. Photos that already have one are counted as done; photos whose file is gone or unreadable are skipped.
 */
import { imagesWithoutEmbedding } from '../storage/embeddings.ts';
import { embedStoredPhotos, type PhotoEmbedder } from './embed-stored-photos.ts';

export interface ReembedSource extends PhotoEmbedder {
  /** Photos decoded and embedded per engine call (default 16). */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface ReembedResult {
  total: number;
  /** Embeddings computed now (the rest were already stored). */
  computed: number;
  skipped: { imageId: string; reason: string }[];
}

export async function reembedStoredPhotos(source: ReembedSource): Promise<ReembedResult> {
  const { total, missing } = await imagesWithoutEmbedding(source.db, source.backboneId);
  const alreadyDone = total - missing.length;
  source.onProgress?.(alreadyDone, total);
  const { computed, skipped } = await embedStoredPhotos(source, missing, {
    ...(source.batch !== undefined ? { batch: source.batch } : {}),
    ...(source.signal ? { signal: source.signal } : {}),
    onBatch: (handled) => source.onProgress?.(alreadyDone + handled, total),
  });
  return { total, computed, skipped };
}

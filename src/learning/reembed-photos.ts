/**
 * Re-embeds every stored photo with another backbone (a backbone switch), in batches, through that backbone's
 * serving engine (worker threads or ONNX Runtime, like serving), and stores each embedding under the backbone's
 * id. Photos that already have one are counted as done; photos whose file is gone or unreadable are skipped.
 */
import { prepareModelInput, type ImageLimits, type InputSpec } from '../images/decode.ts';
import type { Database } from '../storage/database.ts';
import { imagesWithoutEmbedding, saveEmbedding } from '../storage/embeddings.ts';
import { readImageBytes } from '../storage/images.ts';
import type { ModelInput } from '../model/types.ts';

export interface ReembedSource {
  db: Database;
  backboneId: string;
  embed(inputs: ModelInput[]): Promise<Float32Array[]>;
  imageSpec: InputSpec;
  limits?: ImageLimits;
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
  const { db, backboneId } = source;
  const { total, missing } = await imagesWithoutEmbedding(db, backboneId);
  let done = total - missing.length;
  source.onProgress?.(done, total);
  const batch = source.batch ?? 16;
  const skipped: ReembedResult['skipped'] = [];
  let computed = 0;
  for (let start = 0; start < missing.length; start += batch) {
    source.signal?.throwIfAborted();
    const chunk = missing.slice(start, start + batch);
    const prepared = await Promise.all(
      chunk.map(async (image) => {
        try {
          const bytes = await readImageBytes(db, image);
          return { image, input: (await prepareModelInput(bytes, source.imageSpec, source.limits)).input };
        } catch (err) {
          skipped.push({ imageId: image.id, reason: (err as Error).message });
          return null;
        }
      }),
    );
    const ok = prepared.filter((p) => p !== null);
    if (ok.length > 0) {
      const vectors = await source.embed(ok.map((p) => p.input));
      for (const [i, p] of ok.entries()) await saveEmbedding(db, p.image.id, backboneId, vectors[i]!);
      computed += ok.length;
    }
    done += chunk.length;
    source.onProgress?.(done, total);
  }
  return { total, computed, skipped };
}

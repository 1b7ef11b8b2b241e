/**
 * The training set, read from the database: every image with a resolved label (a moderator's label wins, else
 * the trust-weighted majority of distinct people; ties stay out), with its embedding by the ACTIVE backbone.
 * Embeddings missing for that backbone (labels given before a backbone change, a prediction stored without one)
 * are computed from the stored image bytes and stored, so the next run finds them.
 * Reference embeddings for the forgetting guard: stored images with no resolved label (unlabelled uploads,
 * ties), i.e. the photos people really post, which the candidate must keep naming the way the active model did.
 */
import { resolveLabels, type ConsensusOptions } from '../storage/consensus.ts';
import type { Database } from '../storage/database.ts';
import { embeddingsFor, newestEmbeddings } from '../storage/embeddings.ts';
import { readImageBytes } from '../storage/images.ts';
import { log } from '../log.ts';
import type { LabelledEmbedding } from '../training/types.ts';
import { embedStoredPhotos, type PhotoEmbedder } from './embed-stored-photos.ts';

/** The backbone whose embeddings the dataset holds (the active one for a retrain). */
export type DatasetSource = PhotoEmbedder;

export interface DatasetOptions {
  consensus?: Partial<ConsensusOptions>;
  /** At most this many reference embeddings (the newest images first). */
  maxReferences?: number;
  /** Images decoded and embedded per backbone call when computing missing embeddings. */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface StoreDataset {
  labels: LabelledEmbedding[];
  referenceEmbeddings: Float32Array[];
  /** Embeddings that had to be computed from image bytes (and are now stored). */
  computed: number;
  /** Labelled images left out, with why (bytes missing, undecodable, ...). */
  skipped: { imageId: string; reason: string }[];
  breeds: string[];
}

export const DEFAULT_MAX_REFERENCES = 4000;

export async function datasetFromStore(
  source: DatasetSource,
  options: DatasetOptions = {},
): Promise<StoreDataset> {
  const { db, backboneId } = source;
  const resolved = await resolveLabels(db, options.consensus);
  const stored = await embeddingsFor(
    db,
    resolved.map((r) => r.imageId),
    backboneId,
  );
  const missing = resolved.filter((r) => !stored.has(r.imageId));
  const { computed, skipped } = await embedStoredPhotos(source, missing, {
    ...(options.batch !== undefined ? { batch: options.batch } : {}),
    onBatch: (handled, embedded) => {
      for (const [imageId, vector] of embedded) stored.set(imageId, vector);
      if (embedded.size > 0) options.onProgress?.(handled, missing.length);
    },
  });
  if (skipped.length) log.warn({ skipped: skipped.length }, 'labelled images left out of training');

  const labels: LabelledEmbedding[] = resolved
    .filter((r) => stored.has(r.imageId))
    .map((r) => ({
      imageId: r.imageId,
      sha256: r.sha256,
      breed: r.breed,
      weight: r.weight,
      embedding: stored.get(r.imageId)!,
    }));
  const labelled = new Set(resolved.map((r) => r.imageId));
  const referenceEmbeddings = await unlabelledEmbeddings(
    db,
    backboneId,
    labelled,
    options.maxReferences ?? DEFAULT_MAX_REFERENCES,
  );
  return {
    labels,
    referenceEmbeddings,
    computed,
    skipped,
    breeds: [...new Set(labels.map((l) => l.breed))].sort(),
  };
}

/**
 * Stored embeddings (this backbone) of the newest `limit` images without a resolved label, in the order of the
 * images' sha256. The order matters: training consumes references in sequence, and the arrival order of photos
 * differs between runs when several shards store them at once; content order makes a retrain repeatable.
 */
async function unlabelledEmbeddings(
  db: Database,
  backboneId: string,
  labelled: Set<string>,
  limit: number,
): Promise<Float32Array[]> {
  const chosen: { sha256: string; embedding: Float32Array }[] = [];
  for await (const row of newestEmbeddings(db, backboneId, 500)) {
    if (chosen.length >= limit) break;
    if (!labelled.has(row.imageId)) chosen.push(row);
  }
  return chosen
    .sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0))
    .map((c) => c.embedding);
}

/**
 * What the second training stage needs besides embeddings: the stored bytes of the labelled photos, and stored
 * photos nobody labelled (newest first, at most `referenceLimit`) with their embedding by the active backbone.
 * Photos whose file is gone are left out.
 */
export async function photosForFineTuning(
  db: Database,
  backboneId: string,
  labels: Pick<LabelledEmbedding, 'imageId' | 'sha256'>[],
  referenceLimit: number,
): Promise<{
  images: Record<string, Uint8Array>;
  references: { bytes: Uint8Array; embedding: Float32Array }[];
}> {
  const images: Record<string, Uint8Array> = {};
  const labelled = new Set(labels.map((l) => l.imageId));
  for (const label of labels) {
    const bytes = await readImageBytes(db, label).catch(() => null);
    if (bytes) images[label.imageId] = bytes;
  }
  const references: { bytes: Uint8Array; embedding: Float32Array }[] = [];
  for await (const row of newestEmbeddings(db, backboneId, 200)) {
    if (references.length >= referenceLimit) break;
    if (labelled.has(row.imageId)) continue;
    const bytes = await readImageBytes(db, row).catch(() => null);
    if (bytes) references.push({ bytes, embedding: row.embedding });
  }
  return { images, references };
}

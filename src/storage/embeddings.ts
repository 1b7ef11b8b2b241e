/**
 * Backbone embeddings per (image, backbone). Training reads these instead of decoding photos again; an embedding
 * is only comparable with others from the same backbone, hence the backbone id in the key.
 * Stored as float32 little-endian bytes (every platform Node runs breedbot on is little-endian).
 */
import type { Database } from './database.ts';

export const embeddingToBytes = (vector: Float32Array): Uint8Array<ArrayBuffer> =>
  new Uint8Array(
    vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength) as ArrayBuffer,
  );

export function embeddingFromBytes(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new Error(`embedding of ${bytes.byteLength} bytes is not float32`);
  const copy = new Uint8Array(bytes); // aligned, owned
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

export async function saveEmbedding(
  db: Database,
  imageId: string,
  backboneId: string,
  vector: Float32Array,
): Promise<void> {
  const data = { dim: vector.length, vector: embeddingToBytes(vector) };
  await db.prisma.embedding.upsert({
    where: { imageId_backboneId: { imageId, backboneId } },
    create: { imageId, backboneId, ...data },
    update: data,
  });
}

export async function embeddingFor(
  db: Database,
  imageId: string,
  backboneId: string,
): Promise<Float32Array | null> {
  const row = await db.prisma.embedding.findUnique({
    where: { imageId_backboneId: { imageId, backboneId } },
  });
  return row ? embeddingFromBytes(row.vector) : null;
}

/** Embeddings of these images from this backbone; images without one are absent from the map. */
export async function embeddingsFor(
  db: Database,
  imageIds: string[],
  backboneId: string,
): Promise<Map<string, Float32Array>> {
  const found = new Map<string, Float32Array>();
  const CHUNK = 500; // keeps the IN (...) list well under SQLite's parameter limit
  for (let i = 0; i < imageIds.length; i += CHUNK) {
    const rows = await db.prisma.embedding.findMany({
      where: { backboneId, imageId: { in: imageIds.slice(i, i + CHUNK) } },
    });
    for (const row of rows) found.set(row.imageId, embeddingFromBytes(row.vector));
  }
  return found;
}

/** One stored embedding with the photo it belongs to. */
export interface ImageEmbedding {
  imageId: string;
  sha256: string;
  embedding: Float32Array;
}

/** This backbone's stored embeddings, newest first (then by image id), read `pageSize` rows at a time. */
export async function* newestEmbeddings(
  db: Database,
  backboneId: string,
  pageSize: number,
): AsyncGenerator<ImageEmbedding> {
  for (let skip = 0; ; skip += pageSize) {
    const rows = await db.prisma.embedding.findMany({
      where: { backboneId },
      select: { imageId: true, vector: true, image: { select: { sha256: true } } },
      orderBy: [{ createdAt: 'desc' }, { imageId: 'asc' }],
      skip,
      take: pageSize,
    });
    for (const row of rows) {
      yield { imageId: row.imageId, sha256: row.image.sha256, embedding: embeddingFromBytes(row.vector) };
    }
    if (rows.length < pageSize) return;
  }
}

/**
 * Every stored image (oldest first) that has no embedding by this backbone yet, and how many images there are
 * in all (what a backbone switch re-embeds, and its progress).
 */
export async function imagesWithoutEmbedding(
  db: Database,
  backboneId: string,
): Promise<{ total: number; missing: { imageId: string; sha256: string }[] }> {
  const images = await db.prisma.image.findMany({
    select: { id: true, sha256: true, embeddings: { where: { backboneId }, select: { imageId: true } } },
    orderBy: { firstSeenAt: 'asc' },
  });
  return {
    total: images.length,
    missing: images
      .filter((image) => image.embeddings.length === 0)
      .map(({ id, sha256 }) => ({ imageId: id, sha256 })),
  };
}

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

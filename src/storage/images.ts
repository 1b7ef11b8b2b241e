/**
 * Image bytes, de-duplicated by SHA-256. Bytes are files under <imagesDir>/<first two hex>/<sha256>, not DB
 * columns: the database stays small (SQLite WAL checkpoints, backups, PostgreSQL vacuum), a 20 MB photo never
 * travels through a query, and `export` copies files as they are. Content addressing makes the writes
 * idempotent: the file is written (temp file + rename) before its row exists, so a row never points at a
 * missing file, and a crash in between leaves only a file that the next store of the same bytes reuses.
 * Several hosts sharing PostgreSQL must share DATA_DIR too (a volume); one host with shards needs nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from './database.ts';
import { isUniqueViolation, NotFoundError } from './errors.ts';

export interface ImageMeta {
  width: number;
  height: number;
  /** Decoded format: jpeg, png, webp, gif, ... */
  format: string;
  /** When given, must match the bytes (a caller that hashed already). */
  sha256?: string;
}

export interface StoredImage {
  id: string;
  sha256: string;
  width: number;
  height: number;
  format: string;
  byteSize: number;
  firstSeenAt: Date;
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const SHA256 = /^[0-9a-f]{64}$/;

export function imageFilePath(imagesDir: string, sha256: string): string {
  if (!SHA256.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${sha256.slice(0, 80)}`);
  return path.join(imagesDir, sha256.slice(0, 2), sha256);
}

async function writeOnce(file: string, bytes: Uint8Array): Promise<void> {
  const existing = await stat(file).catch(() => null);
  if (existing?.size === bytes.byteLength) return;
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Stores the bytes once; `created` is false when the same bytes were stored before (the existing row). */
export async function storeImage(
  db: Database,
  bytes: Uint8Array,
  meta: ImageMeta,
): Promise<{ image: StoredImage; created: boolean }> {
  if (bytes.byteLength === 0) throw new Error('refusing to store an empty image');
  const sha256 = sha256Hex(bytes);
  if (meta.sha256 && meta.sha256 !== sha256) throw new Error('image hash does not match its bytes');

  const known = await db.prisma.image.findUnique({ where: { sha256 } });
  if (known) {
    await writeOnce(imageFilePath(db.imagesDir, sha256), bytes); // heals a file deleted by hand
    return { image: known, created: false };
  }
  await writeOnce(imageFilePath(db.imagesDir, sha256), bytes);
  try {
    const image = await db.prisma.image.create({
      data: {
        sha256,
        width: meta.width,
        height: meta.height,
        format: meta.format,
        byteSize: bytes.byteLength,
      },
    });
    return { image, created: true };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // the same bytes arrived twice at once; the other writer's row is the one
    const image = await db.prisma.image.findUniqueOrThrow({ where: { sha256 } });
    return { image, created: false };
  }
}

export async function readImageBytes(db: Database, image: Pick<StoredImage, 'sha256'>): Promise<Buffer> {
  try {
    return await readFile(imageFilePath(db.imagesDir, image.sha256));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`image file ${image.sha256}`);
    throw error;
  }
}

export const findImage = (db: Database, imageId: string): Promise<StoredImage | null> =>
  db.prisma.image.findUnique({ where: { id: imageId } });

/** Deletes the image row (its predictions, labels and embeddings go with it) and then its file. */
export async function deleteImage(db: Database, image: Pick<StoredImage, 'id' | 'sha256'>): Promise<void> {
  await db.prisma.image.deleteMany({ where: { id: image.id } });
  await rm(imageFilePath(db.imagesDir, image.sha256), { force: true });
}

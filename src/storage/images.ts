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
import { createOnce, NotFoundError } from './errors.ts';

export interface ImageMeta {
  width: number;
  height: number;
  /** Decoded format: jpeg, png, webp, gif, ... */
  format: string;
  /** When given, must match the bytes (a caller that hashed already). */
  sha256?: string;
  /** A dog cropped from a stored photo: the photo and the crop's region in its pixels. */
  cropOf?: CropOrigin;
}

export interface CropOrigin {
  parentImageId: string;
  box: { x: number; y: number; width: number; height: number };
}

export interface StoredImage {
  id: string;
  sha256: string;
  width: number;
  height: number;
  format: string;
  byteSize: number;
  firstSeenAt: Date;
  /** Set on a dog's crop: the photo it was cut from, and where (ints, photo pixels). */
  parentImageId: string | null;
  cropLeft: number | null;
  cropTop: number | null;
  cropWidth: number | null;
  cropHeight: number | null;
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
  // The same bytes may arrive twice at once; the other writer's row is then the one.
  const { row: image, created } = await createOnce(
    () =>
      db.prisma.image.create({
        data: {
          sha256,
          width: meta.width,
          height: meta.height,
          format: meta.format,
          byteSize: bytes.byteLength,
          ...(meta.cropOf ? cropColumns(meta.cropOf) : {}),
        },
      }),
    () => db.prisma.image.findUniqueOrThrow({ where: { sha256 } }),
  );
  return { image, created };
}

/** The same crop bytes cut from a second photo keep their first origin: an image row is per content. */
const cropColumns = ({ parentImageId, box }: CropOrigin) => ({
  parentImageId,
  cropLeft: Math.round(box.x),
  cropTop: Math.round(box.y),
  cropWidth: Math.round(box.width),
  cropHeight: Math.round(box.height),
});

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

/**
 * Deletes the image row (its predictions, labels, embeddings and dog crops go with it) and then its file and its
 * crops' files.
 */
export async function deleteImage(db: Database, image: Pick<StoredImage, 'id' | 'sha256'>): Promise<void> {
  const crops = await db.prisma.image.findMany({
    where: { parentImageId: image.id },
    select: { sha256: true },
  });
  await db.prisma.image.deleteMany({ where: { id: image.id } });
  for (const { sha256 } of [image, ...crops]) await rm(imageFilePath(db.imagesDir, sha256), { force: true });
}

/** Where a dog's crop was cut from, with the photo's size; null for a whole photo (or an unknown id). */
export async function dogCropOf(
  db: Database,
  imageId: string,
): Promise<(CropOrigin & { parentWidth: number; parentHeight: number }) | null> {
  const crop = await db.prisma.image.findUnique({ where: { id: imageId }, include: { parent: true } });
  if (!crop?.parent || crop.cropLeft === null || crop.cropTop === null) return null;
  return {
    parentImageId: crop.parent.id,
    box: { x: crop.cropLeft, y: crop.cropTop, width: crop.cropWidth ?? 0, height: crop.cropHeight ?? 0 },
    parentWidth: crop.parent.width,
    parentHeight: crop.parent.height,
  };
}

/**
 * What a crash may not break: the SQLite file passes PRAGMA integrity_check and foreign_key_check, at most one
 * model version is active, and every image row has its file (files are written before rows).
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { imageFilePath } from '../../src/storage/images.ts';

export interface IntegrityReport {
  /** "ok", or SQLite's list of problems. */
  integrity: string;
  foreignKeyViolations: number;
  activeModelVersions: number;
  imagesWithoutFile: number;
  counts: { images: number; predictions: number; labels: number };
  ok: boolean;
}

export function checkSqliteStore(dbFile: string, imagesDir: string): IntegrityReport {
  // Opening replays the write-ahead log a killed process left behind, as the next start of the bot would.
  const db = new Database(dbFile);
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join('; ');
    const foreignKeyViolations = (db.pragma('foreign_key_check') as unknown[]).length;
    const count = (table: string) =>
      (db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n;
    const activeModelVersions = (
      db.prepare(`SELECT COUNT(*) AS n FROM "ModelVersion" WHERE status = 'active'`).get() as { n: number }
    ).n;
    const shas = db.prepare('SELECT sha256 FROM "Image"').all() as { sha256: string }[];
    const imagesWithoutFile = shas.filter((r) => !existsSync(imageFilePath(imagesDir, r.sha256))).length;
    const counts = { images: count('Image'), predictions: count('Prediction'), labels: count('Label') };
    return {
      integrity,
      foreignKeyViolations,
      activeModelVersions,
      imagesWithoutFile,
      counts,
      ok:
        integrity === 'ok' &&
        foreignKeyViolations === 0 &&
        activeModelVersions <= 1 &&
        imagesWithoutFile === 0,
    };
  } finally {
    db.close();
  }
}

/** Every label in the file as "userId imageId" → breed name. */
export function labelsInFile(dbFile: string): Map<string, string> {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db
      .prepare(
        'SELECT l."userId" AS u, l."imageId" AS i, b.name AS breed FROM "Label" l JOIN "Breed" b ON b.id = l."breedId"',
      )
      .all() as { u: string; i: string; breed: string }[];
    return new Map(rows.map((r) => [`${r.u} ${r.i}`, r.breed]));
  } finally {
    db.close();
  }
}

/**
 * Which migrations a database has already finished, read with the plain drivers. Checking this first lets a
 * process start (or a CLI run) next to a live bot: the schema engine is only started when something is pending,
 * and it cannot open a SQLite file that another process holds.
 */
import { existsSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseTarget } from './database-url.ts';

const FINISHED =
  'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL';

/** Names of finished migrations; an empty set when the database or its `_prisma_migrations` table is missing. */
export async function finishedMigrations(target: DatabaseTarget): Promise<Set<string>> {
  return target.provider === 'sqlite' ? finishedSqlite(target.filePath) : finishedPostgres(target);
}

function finishedSqlite(filePath: string): Set<string> {
  if (!existsSync(filePath)) return new Set();
  const db = new Sqlite(filePath, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    const table = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'")
      .get();
    if (!table) return new Set();
    const rows = db.prepare(FINISHED).all() as { migration_name: string }[];
    return new Set(rows.map((r) => r.migration_name));
  } finally {
    db.close();
  }
}

async function finishedPostgres(
  target: Extract<DatabaseTarget, { provider: 'postgresql' }>,
): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    const exists = await client.query('SELECT to_regclass($1) AS t', [
      `"${target.schema}"._prisma_migrations`,
    ]);
    if (!exists.rows[0]?.t) return new Set();
    const rows = await client.query<{ migration_name: string }>(
      FINISHED.replace('_prisma_migrations', `"${target.schema}"._prisma_migrations`),
    );
    return new Set(rows.rows.map((r) => r.migration_name));
  } finally {
    await client.end();
  }
}

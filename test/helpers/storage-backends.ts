/**
 * The two databases the storage tests run on: SQLite in a temp folder, and the PostgreSQL server at
 * TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test) in a fresh schema per database, dropped
 * afterwards, so parallel test files and reruns never collide. PostgreSQL is skipped, with the reason, when
 * it cannot be reached.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/storage/database.ts';

export const TEST_PG_URL = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

async function probePostgres(): Promise<string | false> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return false;
  } catch (error) {
    return `PostgreSQL at ${TEST_PG_URL} unreachable (${(error as Error).message}); set TEST_PG_URL to run the PostgreSQL half`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const pgSkipReason = await probePostgres();
if (pgSkipReason) console.log(`# skipping PostgreSQL storage tests: ${pgSkipReason}`);

export interface TestDatabase {
  db: Database;
  url: string;
  /** Closes the database and removes its files or schema. */
  dispose(): Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgresql';
  /** false, or why this backend's tests are skipped. */
  skip: string | false;
  /** A fresh, migrated, empty database URL plus a way to remove it. */
  freshUrl(): { url: string; imagesDir: string; remove(): Promise<void> };
  open(opts?: { poolSize?: number }): Promise<TestDatabase>;
}

async function dropSchema(url: string): Promise<void> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  if (!schema?.startsWith('bb_test_')) return;
  const client = new pg.Client({ connectionString: parsed.toString() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

function makeBackend(name: Backend['name']): Backend {
  const freshUrl = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'breedbot-storage-'));
    const imagesDir = path.join(dir, 'images');
    if (name === 'sqlite') {
      return {
        url: `file:${path.join(dir, 'db', 'breedbot.db')}`,
        imagesDir,
        remove: async () => rmSync(dir, { recursive: true, force: true }),
      };
    }
    const schema = `bb_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const url = `${TEST_PG_URL}${TEST_PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    return {
      url,
      imagesDir,
      remove: async () => {
        await dropSchema(url);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
  return {
    name,
    skip: name === 'postgresql' ? pgSkipReason : false,
    freshUrl,
    open: async (opts = {}) => {
      const { url, imagesDir, remove } = freshUrl();
      const db = await openDatabase(url, { imagesDir, ...opts });
      return {
        db,
        url,
        dispose: async () => {
          await db.close();
          await remove();
        },
      };
    },
  };
}

export const backends: Backend[] = [makeBackend('sqlite'), makeBackend('postgresql')];

/** Runs `work` with a fresh database of `backend`, always removing it afterwards. */
export async function withDatabase<T>(
  backend: Backend,
  work: (db: Database) => Promise<T>,
  opts?: { poolSize?: number },
): Promise<T> {
  const t = await backend.open(opts);
  try {
    return await work(t.db);
  } finally {
    await t.dispose();
  }
}

/** A few breeds with aliases, as the model engineer's list provides them. */
export const SAMPLE_BREEDS = [
  { name: 'Beagle', aliases: [] },
  { name: 'Golden Retriever', aliases: ['golden'] },
  { name: 'Labrador Retriever', aliases: ['labrador', 'lab'] },
  { name: 'German Shepherd', aliases: ['German Shepherd Dog', 'Alsatian'] },
  { name: 'Pug', aliases: ['carlin'] },
  { name: 'Shih-Tzu', aliases: [] },
  { name: 'Border Collie', aliases: [] },
  { name: 'Bernese Mountain Dog', aliases: [] },
  { name: 'Siberian Husky', aliases: ['husky'] },
  { name: 'Basset', aliases: ['basset hound'] },
];

/**
 * Opens breedbot's database from DATABASE_URL: SQLite (default) or PostgreSQL, migrated to the latest schema.
 * Both generated Prisma clients share the model shapes; `BreedbotPrisma` is the one type the repositories use.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config.ts';
import { PrismaClient as PostgresPrismaClient } from '../generated/prisma/postgresql/client.ts';
import { PrismaClient as SqlitePrismaClient } from '../generated/prisma/sqlite/client.ts';
import type { Prisma } from '../generated/prisma/sqlite/client.ts';
import { adapterFactoryFor, parseDatabaseUrl, type DatabaseTarget } from './database-url.ts';
import { applyMigrations } from './migrate.ts';
import { serializedSqliteFactory } from './sqlite-serialized.ts';
import type { Provider } from './schema-files.ts';

/** The typed client. The PostgreSQL client has the same models and methods (checked in test/storage-types). */
export type BreedbotPrisma = SqlitePrismaClient;
/** The client inside `prisma.$transaction(async (tx) => ...)`. */
export type BreedbotTx = Prisma.TransactionClient;

export interface Database {
  prisma: BreedbotPrisma;
  provider: Provider;
  /** Where image bytes are kept: <imagesDir>/<sha256[0..2]>/<sha256>. */
  imagesDir: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Apply pending migrations first (default true). */
  migrate?: boolean;
  /** Default <project>/data/images; the app passes <DATA_DIR>/images. */
  imagesDir?: string;
  /** PostgreSQL connections in the pool (default 10). */
  poolSize?: number;
}

/** SQLite settings that let many writers queue instead of failing: see src/storage/README in the report. */
async function tuneSqlite(prisma: BreedbotPrisma): Promise<void> {
  // WAL: readers never block the writer and a crash loses no committed transaction. Persistent in the file.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  // Per connection: wait for a lock held by another process instead of failing with SQLITE_BUSY at once.
  await prisma.$queryRawUnsafe('PRAGMA busy_timeout = 5000');
  await prisma.$queryRawUnsafe('PRAGMA foreign_keys = ON');
}

function clientFor(target: DatabaseTarget, poolSize: number | undefined): BreedbotPrisma {
  const adapter = adapterFactoryFor(target, poolSize ? { poolSize } : {});
  if (target.provider === 'sqlite')
    return new SqlitePrismaClient({ adapter: serializedSqliteFactory(adapter) });
  // Same models, same query API; only the provider-specific extras differ, and breedbot uses none of them.
  return new PostgresPrismaClient({ adapter }) as unknown as BreedbotPrisma;
}

export async function openDatabase(databaseUrl: string, opts: OpenDatabaseOptions = {}): Promise<Database> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.provider === 'sqlite') mkdirSync(path.dirname(target.filePath), { recursive: true });
  if (opts.migrate ?? true) await applyMigrations(databaseUrl);

  const prisma = clientFor(target, opts.poolSize);
  try {
    await prisma.$connect();
    if (target.provider === 'sqlite') await tuneSqlite(prisma);
  } catch (error) {
    await prisma.$disconnect().catch(() => undefined);
    throw error;
  }
  const imagesDir = opts.imagesDir ?? path.join(projectRoot, 'data', 'images');
  let closed: Promise<void> | null = null;
  return {
    prisma,
    provider: target.provider,
    imagesDir,
    close: () => (closed ??= prisma.$disconnect()),
  };
}

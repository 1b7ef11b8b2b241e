/** Turns DATABASE_URL into the driver adapter that serves it: SQLite (default) or PostgreSQL. */
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { projectRoot } from '../config.ts';

export type DatabaseTarget =
  | { provider: 'sqlite'; filePath: string }
  /** `schema` comes from Prisma's `?schema=` URL parameter (default "public"). */
  | { provider: 'postgresql'; connectionString: string; schema: string };

/** How long a SQLite write waits for another connection's lock before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function parseDatabaseUrl(databaseUrl: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    const url = new URL(databaseUrl);
    const schema = url.searchParams.get('schema') ?? 'public';
    if (!SCHEMA_NAME.test(schema))
      throw new Error(`DATABASE_URL: schema "${schema}" is not a plain identifier`);
    url.searchParams.delete('schema');
    return { provider: 'postgresql', connectionString: url.toString(), schema };
  }
  if (databaseUrl.startsWith('file:')) {
    const file =
      databaseUrl
        .slice('file:'.length)
        .replace(/^\/\/(?=\/)/, '')
        .split('?')[0] ?? '';
    if (!file || file === ':memory:')
      throw new Error('DATABASE_URL: a SQLite database needs a file path (file:./data/breedbot.db)');
    return { provider: 'sqlite', filePath: path.resolve(projectRoot, file) };
  }
  throw new Error(
    `DATABASE_URL must be file:<path> (SQLite) or postgresql://… (PostgreSQL), got "${redact(databaseUrl)}"`,
  );
}

/** A URL safe to log: no password. */
export function redact(databaseUrl: string): string {
  return databaseUrl.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/**
 * The URL as separate pg settings. PrismaPg's shadow database (used when diffing migrations) is opened with
 * `{ ...config, database }`, which a `connectionString` would silently override: the "shadow" would be the
 * main database.
 */
export function pgConnectionFields(connectionString: string): pg.PoolConfig {
  const url = new URL(connectionString);
  const fields: pg.PoolConfig = {
    host: decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')) || undefined,
    port: url.port ? Number(url.port) : undefined,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined,
  };
  // libpq-style ?host=/socket/dir overrides the host, as in pg's own parser
  const socketHost = url.searchParams.get('host');
  if (socketHost) fields.host = socketHost;
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode && sslmode !== 'disable')
    fields.ssl = sslmode === 'no-verify' ? { rejectUnauthorized: false } : true;
  const appName = url.searchParams.get('application_name');
  if (appName) fields.application_name = appName;
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

export interface AdapterOptions {
  /** PostgreSQL pool size (default pg's 10). */
  poolSize?: number;
  /**
   * For the schema engine: PrismaPg never closes the helper connection it opens to create a shadow database,
   * so idle connections must not keep the process alive.
   */
  allowExitOnIdle?: boolean;
}

export function adapterFactoryFor(
  target: DatabaseTarget,
  opts: AdapterOptions = {},
): SqlMigrationAwareDriverAdapterFactory {
  if (target.provider === 'sqlite') {
    return new PrismaBetterSqlite3({ url: target.filePath, timeout: SQLITE_BUSY_TIMEOUT_MS });
  }
  return new PrismaPg(
    {
      ...pgConnectionFields(target.connectionString),
      // Unqualified SQL (migration scripts, raw queries) lands in the chosen schema too.
      options: `-c search_path=${target.schema}`,
      ...(opts.poolSize ? { max: opts.poolSize } : {}),
      ...(opts.allowExitOnIdle ? { allowExitOnIdle: true } : {}),
    },
    { schema: target.schema },
  );
}

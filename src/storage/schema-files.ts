/**
 * Where each database's Prisma schema, migrations and generated client live. prisma/schema.prisma (SQLite) is
 * the one source of truth for the models; Prisma fixes the provider per schema, so the PostgreSQL schema is
 * derived from it, differing only in the datasource provider and the client's output folder.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config.ts';

export type Provider = 'sqlite' | 'postgresql';

export interface ProviderFiles {
  provider: Provider;
  schemaPath: string;
  migrationsDir: string;
  /** Prisma CLI config for `--config` (stock CLI with internet access). */
  configPath: string;
  clientDir: string;
}

const prismaDir = path.join(projectRoot, 'prisma');

export const providerFiles: Record<Provider, ProviderFiles> = {
  sqlite: {
    provider: 'sqlite',
    schemaPath: path.join(prismaDir, 'schema.prisma'),
    migrationsDir: path.join(prismaDir, 'migrations'),
    configPath: path.join(prismaDir, 'sqlite.config.ts'),
    clientDir: path.join(projectRoot, 'src/generated/prisma/sqlite'),
  },
  postgresql: {
    provider: 'postgresql',
    schemaPath: path.join(prismaDir, 'postgresql', 'schema.prisma'),
    migrationsDir: path.join(prismaDir, 'postgresql', 'migrations'),
    configPath: path.join(prismaDir, 'postgresql.config.ts'),
    clientDir: path.join(projectRoot, 'src/generated/prisma/postgresql'),
  },
};

const DERIVED_HEADER =
  '// GENERATED from prisma/schema.prisma by `npm run db:generate`: do not edit (edit prisma/schema.prisma).\n';

/** The PostgreSQL variant of the SQLite schema text. Throws when the source lost the lines this relies on. */
export function postgresSchemaFrom(sqliteSchema: string): string {
  const provider = /(datasource\s+db\s*\{[^}]*?provider\s*=\s*)"sqlite"/;
  const output = /(output\s*=\s*)"\.\.\/src\/generated\/prisma\/sqlite"/;
  if (!provider.test(sqliteSchema) || !output.test(sqliteSchema)) {
    throw new Error(
      'prisma/schema.prisma must keep `provider = "sqlite"` in its datasource and ' +
        '`output = "../src/generated/prisma/sqlite"` in its generator (the PostgreSQL schema is derived from them)',
    );
  }
  return (
    DERIVED_HEADER +
    sqliteSchema
      .replace(provider, '$1"postgresql"')
      .replace(output, '$1"../../src/generated/prisma/postgresql"')
  );
}

/** Rewrites prisma/postgresql/schema.prisma when the source schema changed; returns true when it did. */
export function writeDerivedPostgresSchema(): boolean {
  const derived = postgresSchemaFrom(readFileSync(providerFiles.sqlite.schemaPath, 'utf8'));
  let current = '';
  try {
    current = readFileSync(providerFiles.postgresql.schemaPath, 'utf8');
  } catch {
    // not written yet
  }
  if (current === derived) return false;
  writeFileSync(providerFiles.postgresql.schemaPath, derived);
  return true;
}

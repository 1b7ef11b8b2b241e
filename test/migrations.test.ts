/** Migrations: applied offline by the wasm schema engine, recorded as `prisma migrate deploy` records them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { applyMigrations, pendingSchemaChange, readMigrations } from '../src/storage/migrate.ts';
import { postgresSchemaFrom, providerFiles } from '../src/storage/schema-files.ts';
import { backends, TEST_PG_URL } from './helpers/storage-backends.ts';

const MODEL_TABLES = ['Breed', 'Embedding', 'GuildSettings', 'Image', 'Label', 'ModelVersion', 'Prediction'];

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: unknown;
  migration_name: string;
  logs: unknown;
  rolled_back_at: unknown;
  started_at: unknown;
  applied_steps_count: number | bigint;
}

for (const backend of backends) {
  test(
    `${backend.name}: migrations apply once, then nothing; _prisma_migrations looks like prisma's`,
    { skip: backend.skip },
    async () => {
      const { url, remove } = backend.freshUrl();
      try {
        const committed = readdirSync(providerFiles[backend.name].migrationsDir, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
          .sort();
        assert.ok(committed.length >= 1);

        const first = await applyMigrations(url);
        assert.equal(first.provider, backend.name);
        assert.deepEqual(first.applied, committed);
        const second = await applyMigrations(url);
        assert.deepEqual(second.applied, []);

        // look with the database's own eyes, through the app's client
        const { openDatabase } = await import('../src/storage/database.ts');
        const db = await openDatabase(url, { migrate: false });
        try {
          const tables =
            backend.name === 'sqlite'
              ? await db.prisma.$queryRawUnsafe<{ name: string }[]>(
                  `SELECT name FROM sqlite_master WHERE type = 'table'`,
                )
              : await db.prisma.$queryRawUnsafe<{ name: string }[]>(
                  `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
                );
          const names = tables.map((t) => t.name);
          for (const table of [...MODEL_TABLES, '_prisma_migrations'])
            assert.ok(names.includes(table), `table ${table} exists`);

          const rows = await db.prisma.$queryRawUnsafe<MigrationRow[]>(
            'SELECT * FROM "_prisma_migrations" ORDER BY migration_name',
          );
          assert.deepEqual(
            rows.map((r) => r.migration_name),
            committed,
          );
          for (const row of rows) {
            const sql = readFileSync(
              path.join(providerFiles[backend.name].migrationsDir, row.migration_name, 'migration.sql'),
            );
            assert.equal(
              row.checksum,
              createHash('sha256').update(sql).digest('hex'),
              'checksum = sha256 of migration.sql',
            );
            assert.match(row.id, /^[0-9a-f-]{36}$/, 'uuid id');
            assert.ok(row.finished_at, 'finished');
            assert.ok(row.started_at);
            assert.equal(row.rolled_back_at, null);
            assert.equal(row.logs, null);
            assert.equal(Number(row.applied_steps_count), 1);
          }
        } finally {
          await db.close();
        }
      } finally {
        await remove();
      }
    },
  );
}

test('each provider has a lock file naming it and migrations the engine can read', async () => {
  for (const provider of ['sqlite', 'postgresql'] as const) {
    const list = await readMigrations(provider);
    assert.match(list.lockfile.content ?? '', new RegExp(`^provider = "${provider}"$`, 'm'));
    assert.ok(list.migrationDirectories.length >= 1);
    for (const dir of list.migrationDirectories) {
      assert.match(dir.path, /^\d{14}_[a-z0-9_]+$/i);
      assert.equal(dir.migrationFile.content.tag, 'ok');
    }
  }
});

test('the PostgreSQL schema is the SQLite schema with only the provider and client folder changed', () => {
  const sqlite = readFileSync(providerFiles.sqlite.schemaPath, 'utf8');
  const postgres = readFileSync(providerFiles.postgresql.schemaPath, 'utf8');
  assert.equal(
    postgres,
    postgresSchemaFrom(sqlite),
    'run npm run db:generate after editing prisma/schema.prisma',
  );
  assert.match(postgres, /provider = "postgresql"/);
  assert.throws(() => postgresSchemaFrom(sqlite.replace('"sqlite"', '"mysql"')), /must keep/);
});

test('the SQLite migrations match prisma/schema.prisma (no migration missing)', async () => {
  assert.equal(
    await pendingSchemaChange('sqlite', TEST_PG_URL),
    '',
    'run npm run db:migration:new -- <name>',
  );
});

const pg = backends.find((b) => b.name === 'postgresql')!;
test(
  'the PostgreSQL migrations match the derived schema (diffed in a shadow database)',
  { skip: pg.skip },
  async () => {
    assert.equal(
      await pendingSchemaChange('postgresql', TEST_PG_URL),
      '',
      'run npm run db:migration:new -- <name>',
    );
  },
);

test('both generated clients exist and expose the same models', async () => {
  for (const provider of ['sqlite', 'postgresql'] as const) {
    assert.ok(
      existsSync(path.join(providerFiles[provider].clientDir, 'client.ts')),
      `${provider} client generated`,
    );
  }
  const sqlite = await import('../src/generated/prisma/sqlite/client.ts');
  const postgres = await import('../src/generated/prisma/postgresql/client.ts');
  const models = (m: { Prisma: { ModelName: Record<string, string> } }) =>
    Object.values(m.Prisma.ModelName).sort();
  assert.deepEqual(models(postgres), models(sqlite));
  assert.deepEqual(models(sqlite), [...MODEL_TABLES].sort());
});

for (const backend of backends) {
  test(
    `${backend.name}: a second process can deploy while a live app holds the database`,
    { skip: backend.skip },
    async () => {
      const { url, remove } = backend.freshUrl();
      const { openDatabase } = await import('../src/storage/database.ts');
      const live = await openDatabase(url);
      try {
        await live.prisma.breed.create({ data: { name: 'Held Open', aliases: [], origin: 'user' } });
        const { spawnSync } = await import('node:child_process');
        const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/storage/migrate.ts', 'deploy'], {
          env: { ...process.env, DATABASE_URL: url },
          encoding: 'utf8',
        });
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /already up to date/);
        assert.equal(await live.prisma.breed.count({ where: { name: 'Held Open' } }), 1);
      } finally {
        await live.close();
        await remove();
      }
    },
  );
}

/**
 * Writes that race: a write next to a failing transaction, and several processes writing labels into the same
 * database at once (SQLite: WAL + busy timeout; PostgreSQL: its own locking).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDatabase } from '../src/storage/database.ts';
import { seedBreeds, setLabel, storeImage } from '../src/storage/index.ts';
import { projectRoot } from '../src/config.ts';
import { backends, SAMPLE_BREEDS, withDatabase } from './helpers/storage-backends.ts';

for (const backend of backends) {
  test(`${backend.name}: a write beside a transaction that rolls back is kept`, { skip: backend.skip }, () =>
    withDatabase(backend, async (db) => {
      const failing = db.prisma
        .$transaction(async (tx) => {
          await tx.guildSettings.create({ data: { guildId: 'inside', enabledChannelIds: [] } });
          await new Promise((resolve) => setTimeout(resolve, 150));
          throw new Error('roll back');
        })
        .then(
          () => 'committed',
          (error: Error) => error.message,
        );
      await new Promise((resolve) => setTimeout(resolve, 30)); // the transaction is open now
      await db.prisma.guildSettings.create({ data: { guildId: 'beside', enabledChannelIds: [] } });
      assert.equal(await failing, 'roll back');
      const ids = (await db.prisma.guildSettings.findMany()).map((g) => g.guildId);
      assert.deepEqual(ids, ['beside'], 'the acknowledged write survives; the rolled-back one is gone');
    }),
  );
}

test('sqlite: WAL mode and a busy timeout are on', () =>
  withDatabase(backends[0]!, async (db) => {
    const [mode] = await db.prisma.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode');
    assert.equal(mode?.journal_mode, 'wal');
    const [busy] = await db.prisma.$queryRawUnsafe<{ timeout: number | bigint }[]>('PRAGMA busy_timeout');
    assert.ok(Number(busy?.timeout) >= 5000);
  }));

/** A child process that labels `count` images as its own users, all at once, and reports its outcomes. */
const CHILD = `
import { openDatabase } from ${JSON.stringify(pathToFileURL(path.join(projectRoot, 'src/storage/database.ts')).href)};
import { setLabel } from ${JSON.stringify(pathToFileURL(path.join(projectRoot, 'src/storage/labels.ts')).href)};
const [url, imagesDir, name, imageIdsJson, breedsJson] = process.argv.slice(2);
const imageIds = JSON.parse(imageIdsJson);
const breeds = JSON.parse(breedsJson);
const db = await openDatabase(url, { imagesDir, migrate: false });
const outcomes = await Promise.all(
  Array.from({ length: 120 }, (_, i) =>
    setLabel(db, {
      imageId: imageIds[i % imageIds.length],
      userId: name + '-' + i,
      breedName: breeds[i % breeds.length],
      source: 'reaction',
    }).then((r) => r.outcome),
  ),
);
await db.close();
process.stdout.write(JSON.stringify({ created: outcomes.filter((o) => o === 'created').length }));
`;

function runChild(script: string, args: string[]): Promise<{ created: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: projectRoot,
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`child exited ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(out) as { created: number });
    });
  });
}

for (const backend of backends) {
  test(
    `${backend.name}: three processes labelling at once lose nothing`,
    { skip: backend.skip },
    async () => {
      const { url, imagesDir, remove } = backend.freshUrl();
      const scriptDir = mkdtempSync(path.join(tmpdir(), 'breedbot-child-'));
      const script = path.join(scriptDir, 'label-burst.mts');
      writeFileSync(script, CHILD);
      const db = await openDatabase(url, { imagesDir });
      try {
        await seedBreeds(db, SAMPLE_BREEDS);
        const imageIds: string[] = [];
        for (let i = 0; i < 4; i++) {
          const bytes = Buffer.from(`not decoded here, only hashed and stored: image ${i}`);
          imageIds.push((await storeImage(db, bytes, { width: 1, height: 1, format: 'png' })).image.id);
        }
        const breeds = SAMPLE_BREEDS.map((b) => b.name);
        const results = await Promise.all(
          ['p1', 'p2', 'p3'].map((name) =>
            runChild(script, [url, imagesDir, name, JSON.stringify(imageIds), JSON.stringify(breeds)]),
          ),
        );
        assert.deepEqual(
          results.map((r) => r.created),
          [120, 120, 120],
        );
        assert.equal(await db.prisma.label.count(), 360, 'every label stored exactly once');
        assert.equal(
          (
            await setLabel(db, {
              imageId: imageIds[0]!,
              userId: 'p1-0',
              breedName: breeds[0]!,
              source: 'reaction',
            })
          ).outcome,
          'unchanged',
        );
      } finally {
        await db.close();
        await remove();
        rmSync(scriptDir, { recursive: true, force: true });
      }
    },
  );
}

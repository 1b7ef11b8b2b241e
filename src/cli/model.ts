/**
 * `npm run model -- list | info | rollback <version> [--json]`
 * The model history from the database, and rollbacks. A rollback changes the database's active version (after
 * checking the version's files load); a running bot follows the database (see LearningLoop.syncWithDatabase).
 */
import { loadConfig } from '../config.ts';
import { openDatabase } from '../labels/database.ts';
import {
  activateModelVersion,
  activeModelVersion,
  getModelVersion,
  listModelVersions,
  setModelVersionStatus,
  type ModelVersionRecord,
} from '../labels/model-versions.ts';
import { isBaseVersion, listVersions, loadHeadVersion } from '../model/registry.ts';
import { failAndExit, parseCliArgs } from './args.ts';
import path from 'node:path';

const usage = `Usage: npm run model -- <list|info|rollback <version>> [--json] [--by <name>]

  list                 every version in the database, newest first (and version folders on disk not in it)
  info                 the active version with its metrics, and the last rejection
  rollback <version>   serve an earlier version again (one that was active once); "base" = the backbone's head
  --json               print only JSON on stdout
  --by <name>          who rolls back (recorded with the version; default: the OS user)`;

const pct = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-');

function line(v: ModelVersionRecord): string {
  const m = v.metrics ?? {};
  const day = v.createdAt.toISOString().slice(0, 16).replace('T', ' ');
  return `${v.id}  ${v.status.padEnd(9)} ${day}  top-1 ${pct(m.top1)}  top-5 ${pct(m.top5)}  parent ${v.parentId ?? '-'}`;
}

async function main() {
  const { values, positionals } = parseCliArgs(
    process.argv.slice(2),
    { json: { type: 'boolean' }, by: { type: 'string' } },
    usage,
  );
  const [command, version, ...extra] = positionals;
  if (!command || extra.length || (command === 'rollback') !== (version !== undefined)) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  const config = loadConfig();
  // No migrations here: the bot that made the versions migrated the database, and migrating while it runs fails.
  const db = await openDatabase(config.DATABASE_URL, {
    imagesDir: path.join(config.dataDir, 'images'),
    migrate: false,
  });
  const out = (json: unknown, text: string) =>
    process.stdout.write(values.json ? JSON.stringify(json, null, 2) + '\n' : text + '\n');
  try {
    if (command === 'list') {
      const versions = await listModelVersions(db, 1000);
      const known = new Set(versions.map((v) => v.id));
      const onDisk = (await listVersions(config.modelsDir)).versions.filter((v) => !known.has(v.version));
      out(
        { versions, notInDatabase: onDisk.map((v) => v.version) },
        [
          versions.length ? versions.map(line).join('\n') : 'No trained versions yet: the base model serves.',
          ...(onDisk.length
            ? [`folders not in the database: ${onDisk.map((v) => v.version).join(', ')}`]
            : []),
        ].join('\n'),
      );
    } else if (command === 'info') {
      const active = await activeModelVersion(db);
      const lastRejected = (await listModelVersions(db, 1000)).find((v) => v.status === 'rejected') ?? null;
      out(
        { active, lastRejected },
        [
          active ? `active: ${line(active)}` : 'active: the base model (no trained version is active)',
          ...(active?.reason ? [`  ${active.reason}`] : []),
          ...(lastRejected ? [`last rejected: ${lastRejected.id}: ${lastRejected.reason ?? ''}`] : []),
        ].join('\n'),
      );
    } else if (command === 'rollback') {
      const by = values.by ?? `cli:${process.env.USER ?? 'unknown'}`;
      const activeVersion = await rollback(db, config.modelsDir, version!, by);
      out(
        { activeVersion },
        `The database now names ${activeVersion} as active; a running bot switches to it on its next sync.`,
      );
    } else {
      process.stderr.write(`${usage}\n`);
      process.exit(2);
    }
  } finally {
    await db.close();
  }
}

async function rollback(
  db: Awaited<ReturnType<typeof openDatabase>>,
  modelsDir: string,
  version: string,
  by: string,
): Promise<string> {
  if (version === 'base' || isBaseVersion(version)) {
    const current = await activeModelVersion(db);
    if (current)
      await setModelVersionStatus(db, current.id, 'retired', `rolled back to the base model by ${by}`);
    return 'base';
  }
  const record = await getModelVersion(db, version);
  if (!record) throw new Error(`there is no model version ${version} in the database`);
  if (record.status === 'rejected' || record.status === 'candidate') {
    throw new Error(`version ${version} never passed its checks (${record.status}), so it cannot serve`);
  }
  await loadHeadVersion(modelsDir, version); // its files must be there and readable
  await activateModelVersion(db, version, `rolled back to by ${by}`);
  return version;
}

main().catch((err) => failAndExit(err));

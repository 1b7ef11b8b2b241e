/**
 * `npm run model -- list | info | rollback <version> | switch <backbone id> [--json]`
 * The model history from the database, rollbacks and backbone switches. A rollback changes the database's active
 * version (after checking the version's files load); a switch loads the model, re-embeds the stored photos with
 * the other backbone, trains, gates and records the version like `npm run retrain`. A running bot follows the
 * database (see LearningLoop.syncWithDatabase).
 */
import './cli-logging.ts';
import { loadConfig, type Config } from '../config.ts';
import { progressBar, resultText } from '../learning/progress-text.ts';
import { buildRuntime } from '../runtime/build-runtime.ts';
import type { Database } from '../storage/database.ts';
import {
  activateModelVersion,
  activeModelVersion,
  getModelVersion,
  listModelVersions,
  passedItsChecks,
  retireActiveVersion,
  type ModelVersionRecord,
} from '../storage/model-versions.ts';
import { isBaseVersion, listVersions, loadHeadVersion } from '../model/registry.ts';
import { failAndExit, parseCliArgs } from './args.ts';

const usage = `Usage: npm run model -- <list|info|rollback <version>|switch <backbone id>> [--json] [--by <name>]

  list                 every version in the database, newest first (and version folders on disk not in it)
  info                 the active version with its metrics, and the last rejection
  rollback <version>   serve an earlier version again (one that was active once); "base" = the backbone's head
  switch <backbone id> move to another models/<id>.model.json entry: re-embed every stored photo with it, train
                       a head on all labels, promote it when it passes the same checks as a retrain
                       (exit 0 promoted or nothing to do, 3 rejected, 1 failed)
  --json               print only JSON on stdout
  --by <name>          who rolls back or switches (recorded with the version; default: the OS user)`;

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
  const takesArgument = command === 'rollback' || command === 'switch';
  if (!command || extra.length || takesArgument !== (version !== undefined)) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  const config = loadConfig();
  const by = values.by ?? `cli:${process.env.USER ?? 'unknown'}`;
  if (command === 'switch') {
    await switchBackbone(config, version!, by, values.json === true);
    return;
  }
  const { db, close } = await buildRuntime(config, 'storage');
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
    await close();
  }
}

async function rollback(db: Database, modelsDir: string, version: string, by: string): Promise<string> {
  if (version === 'base' || isBaseVersion(version)) {
    await retireActiveVersion(db, `rolled back to the base model by ${by}`);
    return 'base';
  }
  const record = await getModelVersion(db, version);
  if (!record) throw new Error(`there is no model version ${version} in the database`);
  if (!passedItsChecks(record)) {
    throw new Error(`version ${version} never passed its checks (${record.status}), so it cannot serve`);
  }
  await loadHeadVersion(modelsDir, version); // its files must be there and readable
  await activateModelVersion(db, version, `rolled back to by ${by}`);
  return version;
}

/** Runs the switch in this process (progress on stderr); the running bot follows the database afterwards. */
async function switchBackbone(config: Config, backboneId: string, by: string, json: boolean): Promise<void> {
  const { learning, close } = await buildRuntime(config, 'learning');
  const tty = process.stderr.isTTY;
  try {
    const result = await learning.loop.switchBackbone({ backboneId, requestedBy: by, reason: 'cli' }, (p) =>
      process.stderr.write(tty ? `\r${progressBar(p)}\x1b[K` : `${progressBar(p)}\n`),
    );
    if (tty) process.stderr.write('\n');
    const text =
      result.status === 'promoted' ? `${resultText(result)}\n  ${result.reason}` : resultText(result);
    process.stdout.write(json ? JSON.stringify(result, null, 2) + '\n' : text + '\n');
    process.exitCode = result.status === 'failed' ? 1 : result.status === 'rejected' ? 3 : 0;
  } finally {
    await close();
  }
}

main().catch((err) => failAndExit(err));

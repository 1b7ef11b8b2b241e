/**
 * The registry of trained breed-head versions on disk: MODELS_DIR/versions/<version>/{head.json, head.bin}
 * (the format of ./head-file.ts, which also reads them), plus `backbone/` (a complete tfjs layers model) for a
 * version trained with a fine-tuned backbone (see ./fine-tuned-backbone.ts). Writing is crash-safe: files go to a temporary folder
 * next to the target, are fsynced, and the folder is renamed into place, so a version either exists completely
 * or not at all. The base head ("base-<backbone id>") is derived from the backbone and never written.
 * Which version is active, and whether a version was promoted or rejected, is the database's business.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { HEAD_FORMAT, readHeadFiles, type HeadVersion } from './head-file.ts';
import { assertHeadShape } from './head-math.ts';
import { verifyModelDir, type ModelJson } from './model-files.ts';
import type { BreedHead } from './types.ts';

export const BASE_VERSION_PREFIX = 'base-';
const VERSION_ID = /^v\d{8}-\d{6}-[0-9a-f]{4,16}$/;
const TEMP_PREFIX = '.tmp-';
/** The sub-folder of a version that holds its own (fine-tuned) backbone. */
export const VERSION_BACKBONE_FOLDER = 'backbone';

export interface VersionMeta {
  /** Defaults to a fresh id from `newVersionId()`. */
  version?: string;
  /** The version this one was trained from (a version id or a base id); null for none. */
  parent: string | null;
  backboneId: string;
  createdAt?: Date;
  /** Evaluation figures, training settings, promotion decision: anything JSON. */
  metrics?: unknown;
  /**
   * A folder with a complete tfjs layers model (the fine-tuned backbone this version was trained on): its
   * model.json and every weight file it lists are copied into the version's `backbone/`.
   */
  backboneDir?: string;
}

export interface VersionInfo {
  version: string;
  parent: string | null;
  backboneId: string;
  createdAt: string;
  breeds: number;
  dir: string;
  metrics?: unknown;
  /** The version folder carries its own backbone (`backbone/`). */
  fineTunedBackbone: boolean;
}

export const baseVersionId = (backboneId: string) => `${BASE_VERSION_PREFIX}${backboneId}`;
export const isBaseVersion = (version: string) => version.startsWith(BASE_VERSION_PREFIX);
export const versionsDir = (modelsDir: string) => path.join(modelsDir, 'versions');

export function versionDir(modelsDir: string, version: string): string {
  assertVersionId(version);
  return path.join(versionsDir(modelsDir), version);
}

/** Sortable by creation time (UTC, to the second), e.g. "v20261123-191500-ab12". */
export function newVersionId(now = new Date()): string {
  const iso = now.toISOString(); // 2026-11-23T19:15:00.000Z
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `v${date}-${time}-${randomBytes(2).toString('hex')}`;
}

export function assertVersionId(version: string): void {
  if (!VERSION_ID.test(version)) {
    throw new Error(`'${version}' is not a version id (expected e.g. v20261123-191500-ab12)`);
  }
}

async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Copies a verified layers model (model.json and the weight files it lists, nothing else) into `target`. */
async function copyModelSynced(source: string, target: string): Promise<void> {
  let model: ModelJson;
  try {
    model = verifyModelDir(source);
  } catch (err) {
    throw new Error(`the backbone to save with the version is unusable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  await mkdir(target);
  const files = ['model.json', ...model.weightsManifest.flatMap((group) => group.paths)];
  const folders = new Set([target]);
  for (const file of files) {
    const to = path.join(target, file);
    if (!folders.has(path.dirname(to))) {
      await mkdir(path.dirname(to), { recursive: true });
      folders.add(path.dirname(to));
    }
    await copyFile(path.join(source, file), to);
    const handle = await open(to, 'r'); // fsync needs no write access (the copy keeps a read-only mode)
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  for (const folder of folders) await syncDir(folder);
}

/** Writes a new version folder atomically and returns where it is. Refuses to overwrite an existing version. */
export async function saveHeadVersion(
  modelsDir: string,
  head: BreedHead,
  meta: VersionMeta,
): Promise<VersionInfo> {
  assertHeadShape(head);
  const version = meta.version ?? newVersionId(meta.createdAt);
  const target = versionDir(modelsDir, version);
  if (existsSync(target)) throw new Error(`model version ${version} already exists in ${target}`);
  const parentDir = versionsDir(modelsDir);
  await mkdir(parentDir, { recursive: true });
  const tmp = path.join(
    parentDir,
    `${TEMP_PREFIX}${version}-${process.pid}-${randomBytes(3).toString('hex')}`,
  );
  await mkdir(tmp);
  const createdAt = (meta.createdAt ?? new Date()).toISOString();
  try {
    const json = {
      format: HEAD_FORMAT,
      version,
      parent: meta.parent,
      backboneId: meta.backboneId,
      createdAt,
      inputDim: head.inputDim,
      breeds: head.breeds,
      ...(meta.metrics === undefined ? {} : { metrics: meta.metrics }),
    };
    const bin = new Float32Array(head.kernel.length + head.bias.length);
    bin.set(head.kernel);
    bin.set(head.bias, head.kernel.length);
    const bytes = new Uint8Array(bin.buffer);
    if (new Uint8Array(new Float32Array([1]).buffer)[3] !== 0x3f) swapToLittleEndian(bytes);
    await writeSynced(path.join(tmp, 'head.bin'), bytes);
    await writeSynced(path.join(tmp, 'head.json'), JSON.stringify(json, null, 2) + '\n');
    if (meta.backboneDir !== undefined) {
      await copyModelSynced(path.resolve(meta.backboneDir), path.join(tmp, VERSION_BACKBONE_FOLDER));
    }
    await syncDir(tmp);
    await rename(tmp, target);
    await syncDir(parentDir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return {
    version,
    parent: meta.parent,
    backboneId: meta.backboneId,
    createdAt,
    breeds: head.breeds.length,
    dir: target,
    ...(meta.metrics === undefined ? {} : { metrics: meta.metrics }),
    fineTunedBackbone: meta.backboneDir !== undefined,
  };
}

function swapToLittleEndian(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 4) {
    [bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]] = [
      bytes[i + 3]!,
      bytes[i + 2]!,
      bytes[i + 1]!,
      bytes[i]!,
    ];
  }
}

/** Loads a version by id (under MODELS_DIR/versions) or from a folder holding head.json. */
export async function loadHeadVersion(modelsDir: string, versionOrDir: string): Promise<HeadVersion> {
  if (isBaseVersion(versionOrDir)) {
    throw new Error(`${versionOrDir} is the backbone's own head: build it from the backbone (baseHeadOf)`);
  }
  if (VERSION_ID.test(versionOrDir)) return readHeadFiles(versionDir(modelsDir, versionOrDir));
  const dir = path.resolve(versionOrDir);
  if (!existsSync(path.join(dir, 'head.json'))) {
    throw new Error(`'${versionOrDir}' is neither a version id nor a folder with head.json`);
  }
  return readHeadFiles(dir);
}

/** Every complete version on disk, oldest first; unreadable folders are reported in `broken`, not thrown. */
export async function listVersions(
  modelsDir: string,
): Promise<{ versions: VersionInfo[]; broken: string[] }> {
  const root = versionsDir(modelsDir);
  if (!existsSync(root)) return { versions: [], broken: [] };
  const names = (await readdir(root)).filter((n) => VERSION_ID.test(n)).sort();
  const versions: VersionInfo[] = [];
  const broken: string[] = [];
  for (const name of names) {
    try {
      const loaded = await readHeadFiles(path.join(root, name));
      const m = loaded.metadata as Record<string, unknown>;
      versions.push({
        version: loaded.version,
        parent: typeof m.parent === 'string' ? m.parent : null,
        backboneId: loaded.backboneId,
        createdAt: typeof m.createdAt === 'string' ? m.createdAt : '',
        breeds: loaded.head.breeds.length,
        dir: loaded.dir,
        ...(m.metrics === undefined ? {} : { metrics: m.metrics }),
        fineTunedBackbone: existsSync(path.join(loaded.dir, VERSION_BACKBONE_FOLDER)),
      });
    } catch {
      broken.push(name);
    }
  }
  return { versions, broken };
}

/** Removes temporary folders left by a crashed save that are older than `olderThanMs`. */
export async function removeStaleTempDirs(
  modelsDir: string,
  olderThanMs = 60 * 60 * 1000,
): Promise<string[]> {
  const root = versionsDir(modelsDir);
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of await readdir(root)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const full = path.join(root, name);
    if (Date.now() - (await stat(full)).mtimeMs < olderThanMs) continue;
    await rm(full, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

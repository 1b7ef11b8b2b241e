import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { log } from '../log.ts';
import { expectedGroupBytes, parseModelJson, verifyModelDir } from './model-files.ts';

export interface DownloadOptions {
  /** Per-file time limit. */
  timeoutMs?: number;
  /** Attempts per file (network hiccups on a 10 MB download are common). */
  attempts?: number;
}

async function fetchBytes(url: string, timeoutMs: number, attempts: number): Promise<Uint8Array> {
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
      return new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      lastError = err as Error;
      // A definite HTTP answer will not change on retry.
      if (/^HTTP 4\d\d/.test(lastError.message)) break;
    }
  }
  throw new Error(`download of ${url} failed: ${lastError?.message ?? 'unknown error'}`);
}

/**
 * Downloads model.json and every weight file it names into `destDir`: all files go to a temporary
 * sibling folder first, each weight group's byte size is checked against the manifest, and only a
 * complete model is renamed into place. A half-finished download therefore never looks like a model.
 */
export async function downloadModel(modelJsonUrl: string, destDir: string, options: DownloadOptions = {}) {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const attempts = options.attempts ?? 2;
  const parent = path.dirname(destDir);
  await mkdir(parent, { recursive: true });
  const tmpDir = path.join(parent, `.download-${path.basename(destDir)}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmpDir);
  try {
    log.info({ url: modelJsonUrl, dest: destDir }, 'downloading base model');
    const jsonBytes = await fetchBytes(modelJsonUrl, timeoutMs, attempts);
    const model = parseModelJson(Buffer.from(jsonBytes).toString('utf8'), modelJsonUrl);
    for (const group of model.weightsManifest) {
      let groupBytes = 0;
      for (const p of group.paths) {
        const bytes = await fetchBytes(new URL(p, modelJsonUrl).href, timeoutMs, attempts);
        groupBytes += bytes.byteLength;
        const file = path.join(tmpDir, p);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, bytes);
      }
      const expected = expectedGroupBytes(group);
      if (expected !== undefined && groupBytes !== expected) {
        throw new Error(
          `weight file ${group.paths.join(', ')} from ${modelJsonUrl} has ${groupBytes} bytes, ` +
            `model.json expects ${expected}`,
        );
      }
    }
    await writeFile(path.join(tmpDir, 'model.json'), jsonBytes);
    await writeFile(
      path.join(tmpDir, 'source.json'),
      JSON.stringify({ url: modelJsonUrl, downloadedAt: new Date().toISOString() }, null, 2),
    );
    verifyModelDir(tmpDir);
    if (existsSync(destDir)) await rm(destDir, { recursive: true, force: true });
    await rename(tmpDir, destDir);
    log.info({ dest: destDir }, 'base model downloaded and verified');
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

/**
 * Downloads one file (a .tflite model) to `dest` and checks its sha256 before it is renamed into place, so a
 * wrong or partial download never sits where a model is expected.
 */
export async function downloadFile(
  url: string,
  dest: string,
  expectedSha256: string,
  options: DownloadOptions = {},
): Promise<void> {
  const bytes = await fetchBytes(url, options.timeoutMs ?? 60_000, options.attempts ?? 2);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== expectedSha256) {
    throw new Error(`${url} has sha256 ${sha256}, the model entry expects ${expectedSha256}`);
  }
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.download-${randomBytes(4).toString('hex')}`;
  try {
    log.info({ url, dest }, 'downloading base model file');
    await writeFile(tmp, bytes);
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Where a `format: tflite` backbone's files come from: the official file downloaded once into the cache and
 * checked by sha256, the entry's mirror when the download fails (offline), or a local file. The .tflite file is
 * then converted once into a tfjs layers-model folder beside it, which is what every engine loads.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { BaseModelError, type ResolvedBaseModel } from './base-model-source.ts';
import type { NetworkConfig } from './model-config.ts';
import { downloadFile, type DownloadOptions } from './model-download.ts';
import { verifyModelDir } from './model-files.ts';
import { prepareTfliteFolder } from './tflite/index.ts';

export interface TfliteSourceOptions {
  config: NetworkConfig & { format: 'tflite' };
  /** BASE_MODEL: the .tflite URL or file, or an already converted folder (what worker threads get). */
  source: string;
  /** A local copy of the official file, used when it cannot be downloaded. */
  mirror?: string;
  cacheRoot: string;
  baseDir: string;
  download?: DownloadOptions;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function isConvertedFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(path.join(dir, 'model.json'));
  } catch {
    return false;
  }
}

/** The downloaded file: `<cacheRoot>/<id>/<file name>`, and its conversion in `<cacheRoot>/<id>/tfjs`. */
function cachePaths(options: TfliteSourceOptions, url: string) {
  const root = path.join(options.cacheRoot, options.config.id);
  const name = path.basename(new URL(url).pathname) || `${options.config.id}.tflite`;
  return { file: path.join(root, name), converted: path.join(root, 'tfjs') };
}

async function obtainFile(
  options: TfliteSourceOptions,
): Promise<{ file: string; origin: ResolvedBaseModel['origin'] }> {
  const { config, source } = options;
  if (!isUrl(source)) return { file: path.resolve(options.baseDir, source), origin: 'local' };
  const cached = cachePaths(options, source).file;
  if (existsSync(cached) && sha256Of(cached) === config.sha256) return { file: cached, origin: 'cache' };
  try {
    await downloadFile(source, cached, config.sha256, options.download);
    return { file: cached, origin: 'download' };
  } catch (err) {
    const reason = (err as Error).message;
    const mirror = options.mirror ? path.resolve(options.baseDir, options.mirror) : undefined;
    if (source !== config.url || !mirror || !existsSync(mirror)) {
      throw new BaseModelError(
        `The base model could not be downloaded from ${source}: ${reason}. ` +
          'Check the URL and network access, or set BASE_MODEL to the .tflite file.',
      );
    }
    log.warn(
      { url: source, mirror, reason },
      'could not download the base model; using its local mirror instead',
    );
    return { file: mirror, origin: 'mirror' };
  }
}

export async function resolveTfliteModel(options: TfliteSourceOptions): Promise<ResolvedBaseModel> {
  const { config, source } = options;
  const local = isUrl(source) ? undefined : path.resolve(options.baseDir, source);
  if (local && isConvertedFolder(local)) {
    verifyModelDir(local);
    return { dir: local, origin: 'local', source };
  }
  const { file, origin } = await obtainFile(options);
  const converted = isUrl(source)
    ? cachePaths(options, source).converted
    : path.join(options.cacheRoot, config.id, 'tfjs');
  try {
    const folder = await prepareTfliteFolder({ file, cacheDir: converted, expectedSha256: config.sha256 });
    if (!folder.reused) log.info({ file, dir: folder.dir }, 'converted the TFLite backbone to tfjs (once)');
    return { dir: folder.dir, origin, source, tfliteFile: file };
  } catch (err) {
    throw new BaseModelError(
      `The base model ${file} cannot be used: ${(err as Error).message}. A different file needs its own ` +
        'models/<id>.model.json with its sha256 (see models/README.md).',
    );
  }
}

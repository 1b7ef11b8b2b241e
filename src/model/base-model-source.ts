import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { downloadModel, type DownloadOptions } from './model-download.ts';
import { ModelFilesError, verifyModelDir } from './model-files.ts';

export interface BaseModelSourceOptions {
  /** BASE_MODEL: a folder holding model.json, or an http(s) URL of a model.json. */
  source: string;
  /** BASE_MODEL_MIRROR: a local copy used when the official URL cannot be downloaded. */
  mirror?: string;
  /** The model's official URL (from its config); only that URL falls back to the mirror. */
  officialUrl: string;
  /** Model id, names the cache folder. */
  modelId: string;
  /** Where downloads are kept: <cacheRoot>/<model id>/. */
  cacheRoot: string;
  /** Relative folder paths resolve against this (the project root). */
  baseDir: string;
  download?: DownloadOptions;
}

export interface ResolvedBaseModel {
  /** Folder holding a verified model.json and its weight files. */
  dir: string;
  origin: 'local' | 'cache' | 'download' | 'mirror';
  /** What the user asked for (BASE_MODEL). */
  source: string;
  /** For a TFLite entry: the checked .tflite file `dir` was converted from (absent for an already converted folder). */
  tfliteFile?: string;
}

/** One clear error for an unusable base model: what is wrong and how to fix it. */
export class BaseModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BaseModelError';
  }
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** The cache folder for a URL: the model id for its official URL, the id plus a URL hash otherwise. */
export function cacheDirFor(
  options: Pick<BaseModelSourceOptions, 'cacheRoot' | 'modelId' | 'officialUrl'>,
  url: string,
) {
  const name =
    url === options.officialUrl
      ? options.modelId
      : `${options.modelId}-${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;
  return path.join(options.cacheRoot, name);
}

function cachedCopyOf(dir: string, url: string): boolean {
  try {
    verifyModelDir(dir);
    const recorded = JSON.parse(readFileSync(path.join(dir, 'source.json'), 'utf8')) as { url?: string };
    return recorded.url === url;
  } catch {
    return false;
  }
}

function describe(err: unknown): string {
  return err instanceof ModelFilesError ? err.message : (err as Error).message;
}

/**
 * Turns BASE_MODEL into a local folder with a verified, complete model: a folder is checked in place;
 * a URL is downloaded once into the cache and re-used after. When the official URL cannot be reached
 * (offline), the configured mirror is used instead, with a warning.
 */
export async function resolveBaseModel(options: BaseModelSourceOptions): Promise<ResolvedBaseModel> {
  const { source } = options;
  if (!isUrl(source)) {
    const dir = path.resolve(options.baseDir, source);
    try {
      verifyModelDir(dir);
    } catch (err) {
      throw new BaseModelError(
        `The base model at BASE_MODEL=${source} cannot be used: ${describe(err)}. ` +
          'Set BASE_MODEL to a folder holding a complete TensorFlow.js model (model.json and every weight ' +
          'file it lists), or to the model.json URL.',
      );
    }
    return { dir, origin: 'local', source };
  }

  const cacheDir = cacheDirFor(options, source);
  if (cachedCopyOf(cacheDir, source)) return { dir: cacheDir, origin: 'cache', source };

  try {
    await downloadModel(source, cacheDir, options.download);
    return { dir: cacheDir, origin: 'download', source };
  } catch (err) {
    const reason = describe(err);
    const mirror = options.mirror ? path.resolve(options.baseDir, options.mirror) : undefined;
    if (source === options.officialUrl && mirror && existsSync(mirror)) {
      try {
        verifyModelDir(mirror);
        log.warn(
          { url: source, mirror, reason },
          'could not download the base model; using the local mirror BASE_MODEL_MIRROR instead',
        );
        return { dir: mirror, origin: 'mirror', source };
      } catch (mirrorErr) {
        throw new BaseModelError(
          `The base model could not be downloaded from ${source} (${reason}) and the mirror ` +
            `BASE_MODEL_MIRROR=${options.mirror} is unusable: ${describe(mirrorErr)}. ` +
            'Check network access, or set BASE_MODEL to a folder holding model.json and its weight files.',
        );
      }
    }
    throw new BaseModelError(
      `The base model could not be downloaded from BASE_MODEL=${source}: ${reason}. ` +
        'Check the URL and network access, or set BASE_MODEL to a folder holding model.json and its weight files.',
    );
  }
}

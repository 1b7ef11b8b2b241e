/**
 * Where the detector's files come from: the official copy downloaded once into `<cacheRoot>/<id>/`, each file
 * checked by sha256 before it is renamed into place (the backbones' download code), or the entry's mirror when
 * the download fails (offline), checked the same way. A file with another checksum is never loaded.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { downloadFile, type DownloadOptions } from '../model/model-download.ts';
import { verifyModelDir } from '../model/model-files.ts';
import { modelJsonFileOf, type DetectorConfig } from './detector-config.ts';

export interface DetectorSourceOptions {
  config: DetectorConfig;
  /** Downloads live in `<cacheRoot>/<id>/`. */
  cacheRoot: string;
  /** The mirror's relative path resolves against this (the project root). */
  baseDir: string;
  /** Another official location (a test's local server); the mirror then is not used. */
  url?: string;
  download?: DownloadOptions;
}

export interface ResolvedDetectorFiles {
  dir: string;
  /** The model.json file's name inside `dir`. */
  jsonFile: string;
  origin: 'cache' | 'download' | 'mirror';
}

export class DetectorFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DetectorFilesError';
  }
}

interface ExpectedFile {
  name: string;
  sha256: string;
}

const expectedFiles = (config: DetectorConfig): ExpectedFile[] => [
  { name: modelJsonFileOf(config), sha256: config.sha256 },
  ...config.weights.map((w) => ({ name: w.path, sha256: w.sha256 })),
];

const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The first file of `dir` that is missing or has another checksum, described; undefined when all match. */
function mismatchIn(dir: string, files: ExpectedFile[]): string | undefined {
  for (const file of files) {
    const at = path.join(dir, file.name);
    if (!existsSync(at)) return `${file.name} is missing`;
    const actual = sha256Of(at);
    if (actual !== file.sha256) return `${file.name} has sha256 ${actual}, the entry expects ${file.sha256}`;
  }
  return undefined;
}

/** The model.json must list exactly the entry's weight files, so no unchecked file is ever read. */
function checkManifest(dir: string, config: DetectorConfig): void {
  const model = verifyModelDir(dir, modelJsonFileOf(config));
  const listed = model.weightsManifest.flatMap((g) => g.paths).sort();
  const declared = config.weights.map((w) => w.path).sort();
  if (listed.join('\n') !== declared.join('\n')) {
    throw new DetectorFilesError(
      `${modelJsonFileOf(config)} in ${dir} lists the weight files ${listed.join(', ')}, ` +
        `the entry ${config.configPath} checks ${declared.join(', ')}`,
    );
  }
}

async function download(url: string, dir: string, files: ExpectedFile[], options: DetectorSourceOptions) {
  for (const file of files) {
    if (mismatchIn(dir, [file]) === undefined) continue;
    await downloadFile(
      new URL(file.name, url).href,
      path.join(dir, file.name),
      file.sha256,
      options.download,
    );
  }
}

export async function resolveDetectorFiles(options: DetectorSourceOptions): Promise<ResolvedDetectorFiles> {
  const { config } = options;
  const files = expectedFiles(config);
  const jsonFile = modelJsonFileOf(config);
  const url = options.url ?? config.url;
  const cacheDir = path.join(
    options.cacheRoot,
    url === config.url
      ? config.id
      : `${config.id}-${createHash('sha256').update(url).digest('hex').slice(0, 12)}`,
  );
  const resolved = (dir: string, origin: ResolvedDetectorFiles['origin']): ResolvedDetectorFiles => {
    checkManifest(dir, config);
    return { dir, jsonFile, origin };
  };
  if (mismatchIn(cacheDir, files) === undefined) return resolved(cacheDir, 'cache');
  try {
    await download(url, cacheDir, files, options);
    return resolved(cacheDir, 'download');
  } catch (err) {
    const reason = (err as Error).message;
    const mirror = config.mirror ? path.resolve(options.baseDir, config.mirror) : undefined;
    if (url !== config.url || !mirror) {
      throw new DetectorFilesError(`The detector could not be downloaded from ${url}: ${reason}`);
    }
    const problem = mismatchIn(mirror, files);
    if (problem) {
      throw new DetectorFilesError(
        `The detector could not be downloaded from ${url} (${reason}) and its mirror ${mirror} is unusable: ${problem}`,
      );
    }
    log.warn({ url, mirror, reason }, 'could not download the detector; using its local mirror instead');
    return resolved(mirror, 'mirror');
  }
}

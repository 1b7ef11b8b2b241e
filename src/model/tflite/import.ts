/** Converts a .tflite file once into a tfjs layers-model folder and reuses it while the file and converter match. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileModelHandler } from '../model-files.ts';
import { convertTflite, embeddingLayerName, logitsLayerName, type ConvertedModel } from './convert.ts';
import { TfliteImportError } from './errors.ts';
import { readTflite } from './schema.ts';

/** Bump whenever the conversion's output changes, so old caches are rebuilt. */
export const converterVersion = 'tflite-import-2';

export interface TfliteSource {
  file: string;
  sha256: string;
  converterVersion: string;
  embeddingLayer: string;
  embeddingDim: number;
  logitsLayer: string;
  input: ConvertedModel['input'];
  background?: ConvertedModel['background'];
}

export interface TfliteImport {
  /** The cache folder holding model.json, weights.bin and source.json. */
  dir: string;
  model: tf.LayersModel;
  source: TfliteSource;
  /** True when an existing cache was loaded without converting. */
  reused: boolean;
}

export interface TfliteImportOptions {
  file: string;
  cacheDir: string;
  /** When given, a file with another sha256 is refused. */
  expectedSha256?: string;
}

function readCachedSource(dir: string): TfliteSource | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'source.json'), 'utf8')) as TfliteSource;
  } catch {
    return undefined;
  }
}

async function writeModelFolder(dir: string, converted: ConvertedModel, source: TfliteSource): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  const bytes = Buffer.concat(
    converted.weightData.map((w) => Buffer.from(w.buffer, w.byteOffset, w.byteLength)),
  );
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'breedbot tflite importer',
    convertedBy: converterVersion,
    modelTopology: converted.topology,
    weightsManifest: [{ paths: ['weights.bin'], weights: converted.weightSpecs }],
  };
  await writeFile(path.join(tmp, 'weights.bin'), bytes);
  await writeFile(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
  await writeFile(path.join(tmp, 'source.json'), JSON.stringify(source, null, 1));
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  await rename(tmp, dir);
}

export type TfliteFolder = Omit<TfliteImport, 'model'>;

/** Converts `file` into a tfjs layers-model folder at `cacheDir`, unless a cache of the same file and converter is there. */
export async function prepareTfliteFolder(options: TfliteImportOptions): Promise<TfliteFolder> {
  const { file, cacheDir } = options;
  if (!existsSync(file)) throw new TfliteImportError(file, 'file does not exist');
  const bytes = new Uint8Array(await readFile(file));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (options.expectedSha256 && options.expectedSha256.toLowerCase() !== sha256) {
    throw new TfliteImportError(file, `sha256 is ${sha256}, expected ${options.expectedSha256}`);
  }
  const cached = readCachedSource(cacheDir);
  if (
    cached?.sha256 === sha256 &&
    cached.converterVersion === converterVersion &&
    existsSync(path.join(cacheDir, 'model.json'))
  ) {
    return { dir: cacheDir, source: cached, reused: true };
  }
  const converted = convertTflite(readTflite(bytes, file));
  const source: TfliteSource = {
    file: path.basename(file),
    sha256,
    converterVersion,
    embeddingLayer: embeddingLayerName,
    embeddingDim: converted.embeddingDim,
    logitsLayer: logitsLayerName,
    input: converted.input,
    ...(converted.background ? { background: converted.background } : {}),
  };
  await writeModelFolder(cacheDir, converted, source);
  return { dir: cacheDir, source, reused: false };
}

/** Imports `file` into `cacheDir` (converting only when the cache is missing or stale) and loads it. */
export async function importTflite(options: TfliteImportOptions): Promise<TfliteImport> {
  const folder = await prepareTfliteFolder(options);
  const model = await tf.loadLayersModel(fileModelHandler(folder.dir));
  return { ...folder, model };
}

/** The recorded conversion of a prepared folder, or undefined when `dir` is not one. */
export function tfliteSourceOf(dir: string): TfliteSource | undefined {
  return readCachedSource(dir);
}

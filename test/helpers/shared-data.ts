/** Paths of the ../shared inputs the model tests read (never copied into the repository). */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config.ts';

export const sharedModelDir = path.resolve(projectRoot, '../shared/models/mobilenet_v1_0.75_224');
export const imagewoofValDir = path.resolve(projectRoot, '../shared/datasets/imagewoof/val');
export const notDogsDir = path.resolve(projectRoot, '../shared/datasets/notdogs');

export const skipWithoutSharedModel = existsSync(path.join(sharedModelDir, 'model.json'))
  ? false
  : 'needs ../shared/models/mobilenet_v1_0.75_224 (absent)';
export const skipWithoutPhotos =
  skipWithoutSharedModel ||
  (existsSync(imagewoofValDir) && existsSync(notDogsDir) ? false : 'needs ../shared/datasets (absent)');

export const imagewoofTrainDir = path.resolve(projectRoot, '../shared/datasets/imagewoof/train');
export const skipWithoutTrainPhotos =
  skipWithoutPhotos ||
  (existsSync(imagewoofTrainDir) ? false : 'needs ../shared/datasets/imagewoof/train (absent)');

/** Photos `from`..`to` (exclusive) of one imagewoof/train synset folder, sorted by name. */
export function trainPhotos(synset: string, from: number, to: number): string[] {
  return readdirSync(path.join(imagewoofTrainDir, synset))
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .slice(from, to)
    .map((f) => path.join(imagewoofTrainDir, synset, f));
}

/** The first `perClass` photos of every imagewoof/val synset folder, sorted by name for repeatability. */
export function imagewoofSample(perClass: number): { file: string; synset: string }[] {
  return readdirSync(imagewoofValDir)
    .sort()
    .flatMap((synset) =>
      readdirSync(path.join(imagewoofValDir, synset))
        .filter((f) => /\.jpe?g$/i.test(f))
        .sort()
        .slice(0, perClass)
        .map((f) => ({ file: path.join(imagewoofValDir, synset, f), synset })),
    );
}

export function notDogPhotos(): string[] {
  return readdirSync(notDogsDir)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => path.join(notDogsDir, f));
}

/** Null when everything is there, else why the suites that need it cannot run. */
export function missingSharedInputs(): string | null {
  if (!existsSync(path.join(sharedModelDir, 'model.json')))
    return 'needs ../shared/models/mobilenet_v1_0.75_224 (absent)';
  if (!existsSync(imagewoofValDir)) return 'needs ../shared/datasets/imagewoof/val (absent)';
  return null;
}

/** Real dog photos, interleaved across breeds (photo i of every breed before photo i+1), sorted for repeatability. */
export function dogPhotos(count: number): string[] {
  const perBreed = readdirSync(imagewoofValDir)
    .sort()
    .map((synset) =>
      readdirSync(path.join(imagewoofValDir, synset))
        .filter((f) => /\.jpe?g$/i.test(f))
        .sort()
        .map((f) => path.join(imagewoofValDir, synset, f)),
    );
  const out: string[] = [];
  for (let i = 0; out.length < count && perBreed.some((list) => i < list.length); i++)
    for (const list of perBreed) if (i < list.length && out.length < count) out.push(list[i]!);
  return out;
}

/** Environment for a runtime on ../shared's model, offline. */
/** Pinned to MobileNet v1 (the fastest backbone), whatever the default, so these tests stay quick and stable. */
export const sharedModelEnv = {
  BACKBONE: 'mobilenet_v1_0.75_224',
  BASE_MODEL: sharedModelDir,
  LOG_LEVEL: 'warn',
} as const;

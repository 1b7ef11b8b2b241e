/** The ../shared inputs the abuse suite reads (never copied into the repository). */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config.ts';

export const sharedModelDir = path.resolve(projectRoot, '../shared/models/mobilenet_v1_0.75_224');
export const imagewoofValDir = path.resolve(projectRoot, '../shared/datasets/imagewoof/val');

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

/** Environment that runs breedbot on ../shared's model, offline, quietly. */
/** Pinned to MobileNet v1 (the fastest backbone), whatever the default, so these tests stay quick and stable. */
export const sharedModelEnv = {
  BACKBONE: 'mobilenet_v1_0.75_224',
  BASE_MODEL: sharedModelDir,
  LOG_LEVEL: 'warn',
} as const;

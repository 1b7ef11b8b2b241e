import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The detector entry (`models/<id>.detector.json`): where the object detector comes from (official URL, the
 * sha256 of every file, the ../shared mirror) and how to read its output. See models/README.md.
 */
const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lowercase hex digits');
const classSchema = z.number().int().nonnegative();

const detectorConfigSchema = z.object({
  id: z.string().regex(/^[\w.-]+$/, 'only letters, digits, dot, dash and underscore'),
  description: z.string().optional(),
  format: z.literal('graph'),
  /** Official model.json (whatever its file name); its weight files are fetched from beside it. */
  url: z.string().url(),
  /** sha256 of the model.json file. */
  sha256: sha256Schema,
  /** Every weight file the model.json lists, with its sha256: a file with another checksum is refused. */
  weights: z.array(z.object({ path: z.string().regex(/^[\w.-]+$/), sha256: sha256Schema })).min(1),
  /** Local copy of the same files, used when the official URL cannot be downloaded; relative to the project root. */
  mirror: z.string().min(1).optional(),
  /** Square input side; the photo is letterboxed into it as raw RGB 0..255. */
  inputSize: z.number().int().positive(),
  /** Graph node giving [1, n, 6] rows: x1, y1, x2, y2 (input pixels), score, class. */
  outputNode: z.string().min(1),
  dogClass: classSchema,
  /** Classes whose box, when it scores higher, suppresses an overlapping dog box (a cat also read as a dog). */
  rivalClasses: z.array(classSchema).default([]),
  scoreThreshold: z.number().gt(0).lt(1),
  /** Boxes overlapping a better one by at least this intersection-over-union are dropped. */
  iouThreshold: z.number().gt(0).lte(1),
  /**
   * Where ONNX Runtime may take over (DETECTOR_ENGINE): the graph nodes its converted trunk computes; the graph
   * model runs the rest from them. Absent: the detector runs in tfjs only.
   */
  onnxTrunk: z.object({ outputs: z.array(z.string().min(1)).min(1) }).optional(),
});

export type DetectorConfig = z.infer<typeof detectorConfigSchema> & {
  /** Absolute path of the file it was read from. */
  configPath: string;
};

/** The name of the model.json file in the official folder (and in the mirror and the cache). */
export const modelJsonFileOf = (config: Pick<DetectorConfig, 'url'>): string =>
  path.posix.basename(new URL(config.url).pathname);

export function loadDetectorConfig(configPath: string): DetectorConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read the detector entry ${configPath}: ${(err as Error).message}`);
  }
  const parsed = detectorConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`Invalid detector entry ${configPath}: ${problems}`);
  }
  return { ...parsed.data, configPath };
}

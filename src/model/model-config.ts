import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The per-model metadata file (`models/<id>.model.json`). Everything the code needs to know about a
 * backbone lives there, so a different backbone needs a new file, not new code.
 */
const modelConfigSchema = z.object({
  id: z.string().regex(/^[\w.-]+$/, 'only letters, digits, dot, dash and underscore'),
  description: z.string().optional(),
  /** Official download location of model.json. */
  url: z.string().url(),
  format: z.enum(['layers', 'graph']),
  inputSize: z.number().int().positive(),
  /** Pixel value p in 0..255 becomes p * scale + offset. */
  normalisation: z.object({ scale: z.number().positive(), offset: z.number() }),
  resize: z.enum(['cover', 'contain', 'fill']),
  /** Layers model: the layer whose output is the embedding. Graph model: the node name. */
  embeddingLayer: z.string().min(1),
  embeddingDim: z.number().int().positive().optional(),
  /**
   * The ImageNet classifier that follows the embedding (a dense or 1x1-conv layer). Layers model: `layer`.
   * Graph model: the names of its kernel and bias weights.
   */
  classifier: z.union([
    z.object({ layer: z.string().min(1) }),
    z.object({ kernelWeight: z.string().min(1), biasWeight: z.string().min(1) }),
  ]),
  /** One class per line in index order, synonyms separated by ", ". Looked up next to model.json, then next to this file. */
  labelsFile: z.string().min(1),
  synsetsFile: z.string().min(1).optional(),
  /** Inclusive range of classifier outputs that are dogs (breeds and wild dogs). */
  dogClasses: z
    .object({ first: z.number().int().nonnegative(), last: z.number().int().nonnegative() })
    .refine((r) => r.last >= r.first, 'last must be >= first'),
});

export type ModelConfig = z.infer<typeof modelConfigSchema> & {
  /** Absolute path of the file it was read from (labels may live beside it). */
  configPath: string;
};

/** The image preprocessing a backbone expects, in the shape src/images takes. */
export interface ImageSpec {
  size: number;
  scale: number;
  offset: number;
}

export function imageSpecOf(config: ModelConfig): ImageSpec {
  return { size: config.inputSize, scale: config.normalisation.scale, offset: config.normalisation.offset };
}

export function loadModelConfig(configPath: string): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new Error(
      `Cannot read the model config ${configPath}: ${(err as Error).message}. ` +
        'Set BASE_MODEL_CONFIG to a valid <model>.model.json (see models/README.md).',
    );
  }
  const parsed = modelConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`Invalid model config ${configPath}: ${problems}`);
  }
  return { ...parsed.data, configPath };
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The per-backbone entry (`models/<id>.model.json`). Everything the code needs to know about a backbone lives
 * there, so a different backbone needs a new file, not new code. See models/README.md for every field.
 */
const idSchema = z.string().regex(/^[\w.-]+$/, 'only letters, digits, dot, dash and underscore');

/** Fields every entry has, single network or ensemble: what goes in, and how outputs map to classes. */
const commonFields = {
  id: idSchema,
  description: z.string().optional(),
  inputSize: z.number().int().positive(),
  /** Pixel value p in 0..255 becomes p * scale + offset. */
  normalisation: z.object({ scale: z.number().positive(), offset: z.number() }),
  resize: z.enum(['cover', 'contain', 'fill']),
  /** Average the embeddings of the photo and its mirror image (test-time augmentation). */
  flipAverage: z.boolean().optional(),
  /** One class per line in index order, synonyms separated by ", ". Looked up next to model.json, then next to this file. */
  labelsFile: z.string().min(1),
  synsetsFile: z.string().min(1).optional(),
  /** Inclusive range of classifier outputs that are dogs (breeds and wild dogs). */
  dogClasses: z
    .object({ first: z.number().int().nonnegative(), last: z.number().int().nonnegative() })
    .refine((r) => r.last >= r.first, 'last must be >= first'),
};

/** Fields of one network (as opposed to an ensemble of several). */
const networkFields = {
  ...commonFields,
  /** Official download location: model.json for tfjs formats, the .tflite file for tflite. */
  url: z.string().url(),
  /** sha256 of the downloaded file (tflite); a download or mirror with another checksum is refused. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** Local copy used when the official URL cannot be downloaded; relative paths resolve against the project root. */
  mirror: z.string().min(1).optional(),
  /** Layers model: the layer whose output is the embedding. Graph model: the node name. */
  embeddingLayer: z.string().min(1),
  embeddingDim: z.number().int().positive().optional(),
};

const layersSchema = z.object({
  ...networkFields,
  format: z.literal('layers'),
  /** The ImageNet classifier that follows the embedding (a dense or 1x1-conv layer). */
  classifier: z.object({ layer: z.string().min(1) }),
});

/** A TensorFlow Lite file, converted once into a tfjs layers model (src/model/tflite). */
const tfliteSchema = z.object({
  ...networkFields,
  format: z.literal('tflite'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "a tflite entry needs the file's sha256 (64 hex digits)"),
  classifier: z.object({ layer: z.string().min(1) }),
});

const graphSchema = z.object({
  ...networkFields,
  format: z.literal('graph'),
  /** The names of the classifier's kernel and bias weights. */
  classifier: z.object({ kernelWeight: z.string().min(1), biasWeight: z.string().min(1) }),
});

/** Several frozen backbones whose embeddings are concatenated (each member is `models/<member>.model.json`). */
const ensembleSchema = z.object({
  ...commonFields,
  format: z.literal('ensemble'),
  members: z.array(idSchema).min(2),
});

const modelConfigSchema = z.discriminatedUnion('format', [
  layersSchema,
  tfliteSchema,
  graphSchema,
  ensembleSchema,
]);

type WithPath<T> = T & {
  /** Absolute path of the file it was read from (labels and members live beside it). */
  configPath: string;
};

export type NetworkConfig = WithPath<
  z.infer<typeof layersSchema> | z.infer<typeof tfliteSchema> | z.infer<typeof graphSchema>
>;
export type EnsembleConfig = WithPath<z.infer<typeof ensembleSchema>>;
export type ModelConfig = NetworkConfig | EnsembleConfig;
export type ModelFormat = ModelConfig['format'];

/** The image preprocessing a backbone expects, in the shape src/images takes. */
export interface ImageSpec {
  size: number;
  scale: number;
  offset: number;
}

export function imageSpecOf(config: ModelConfig): ImageSpec {
  return { size: config.inputSize, scale: config.normalisation.scale, offset: config.normalisation.offset };
}

/** The embedding's id: embeddings are only comparable within one id, and flip averaging changes them. */
export function embeddingIdOf(config: ModelConfig): string {
  return config.flipAverage ? `${config.id}+flip` : config.id;
}

/** `models/<id>.model.json` in `modelsDir`. */
export function modelConfigPathFor(modelsDir: string, id: string): string {
  return path.join(modelsDir, `${id}.model.json`);
}

export function loadModelConfig(configPath: string): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new Error(
      `Cannot read the model config ${configPath}: ${(err as Error).message}. ` +
        'Set BACKBONE to the id of a models/<id>.model.json (see models/README.md).',
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

/** The member entries of an ensemble, read from beside its own file. */
export function loadEnsembleMembers(config: EnsembleConfig): NetworkConfig[] {
  return config.members.map((id) => {
    const member = loadModelConfig(modelConfigPathFor(path.dirname(config.configPath), id));
    if (member.format === 'ensemble') {
      throw new Error(`Invalid model config ${config.configPath}: member ${id} is itself an ensemble`);
    }
    if (member.inputSize !== config.inputSize || member.resize !== config.resize) {
      throw new Error(
        `Invalid model config ${config.configPath}: member ${id} takes ${member.inputSize}px '${member.resize}' ` +
          `input, the ensemble ${config.inputSize}px '${config.resize}'`,
      );
    }
    return member;
  });
}

/** An entry that must be one network (the tools that convert or fine-tune one model). */
export function loadNetworkConfig(configPath: string): NetworkConfig {
  const config = loadModelConfig(configPath);
  if (config.format === 'ensemble') {
    throw new Error(`${configPath} is an ensemble (${config.members.join(' + ')}); name one of its members`);
  }
  return config;
}

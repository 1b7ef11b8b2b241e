import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The repository root, so defaults do not depend on the working directory. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The backbone entry used when BACKBONE is unset (chosen by `npm run bench:backbones`, see README). */
export const DEFAULT_BACKBONE = 'mobilenet_edgetpu_224_1.0';

const intFromEnv = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);
const flagFromEnv = (fallback: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
    .default(fallback ? 'true' : 'false')
    .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const envSchema = z.object({
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DISCORD_TOKEN: z.string().optional(),
  DISCORD_APP_ID: z.string().optional(),
  GUILD_ID: z.string().optional(),
  /** Base URL of the Discord REST API; the sandbox points this at the local fake. */
  DISCORD_API_URL: z.string().url().optional(),

  DATABASE_URL: z.string().default('file:./data/breedbot.db'),
  DATA_DIR: z.string().default('data'),
  MODELS_DIR: z.string().default('models'),

  /** The backbone: the id of an entry models/<id>.model.json (format, official URL, sha256, input, labels). */
  BACKBONE: z
    .string()
    .regex(/^[\w.+-]+$/, 'the id of a models/<id>.model.json')
    .default(DEFAULT_BACKBONE),
  /** Another entry file instead of models/<BACKBONE>.model.json. */
  BASE_MODEL_CONFIG: z.string().optional(),
  /** Where the backbone's files come from instead of the entry's official URL: a folder, a file or a URL. */
  BASE_MODEL: z.string().optional(),
  /** Used instead of the entry's mirror when the official URL cannot be downloaded (offline machines). */
  BASE_MODEL_MIRROR: z.string().optional(),
  TF_BACKEND: z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu', 'webgpu']).optional(),
  /** A photo is a dog when the pretrained classifier puts at least this share of probability on dog classes. */
  DOG_THRESHOLD: z.coerce.number().gt(0).max(1).default(0.5),
  /**
   * Where embeddings are computed: auto (ONNX Runtime in a worker when it loads and agrees with tfjs, else tfjs
   * worker threads), worker (tfjs in worker threads), onnx, inprocess (tfjs on the main thread). See
   * src/model/inference/select-engine.ts.
   */
  EMBED_ENGINE: z.enum(['auto', 'worker', 'inprocess', 'onnx']).default('auto'),
  /** tfjs worker threads for EMBED_ENGINE=worker; 0 = one per core, at most 2. */
  EMBED_WORKERS: intFromEnv(0),
  /** ONNX Runtime intra-op threads for EMBED_ENGINE=onnx/auto; 0 = one per core. */
  ONNX_THREADS: intFromEnv(0),
  /** ONNX Runtime's pool threads spin while they wait for work (ORT's own default); off here, see README. */
  ONNX_SPINNING: flagFromEnv(false),
  /**
   * Which ONNX graph embeds: float (the dequantized import), int8 (a uint8 .tflite file's own integer arithmetic),
   * or auto (int8 on CPUs with VNNI, where it is ~2x faster at the same accuracy; see src/model/onnx/onnx-precision.ts).
   */
  ONNX_PRECISION: z.enum(['auto', 'float', 'int8']).default('auto'),
  /**
   * Micro-batching of concurrent classify requests: most images per backbone call, longest wait to fill one.
   * The wait is 0 (the same tick only): requests that arrive while the engine is busy gather into the next batch
   * anyway, so waiting only delayed a lone photo (README "A quiet window").
   */
  BATCH_MAX: z.coerce.number().int().positive().default(16),
  BATCH_WAIT_MS: intFromEnv(0),
  /** Images allowed to wait for the backbone; beyond that requests fail at once with a 'busy' error. */
  BATCH_QUEUE_LIMIT: z.coerce.number().int().positive().default(256),

  IMAGE_MAX_BYTES: intFromEnv(20 * 1024 * 1024),
  IMAGE_MAX_PIXELS: intFromEnv(40_000_000),
  FETCH_TIMEOUT_MS: intFromEnv(10_000),
  FETCH_MAX_REDIRECTS: intFromEnv(3),
  /** Only for tests and the local sandbox: lets the URL intake reach 127.0.0.1. */
  FETCH_ALLOW_LOOPBACK: flagFromEnv(false),

  RETRAIN_CRON: z.string().default('0 3 * * *'),
  RETRAIN_MIN_NEW_LABELS: intFromEnv(20),
  /** Distinct people an image needs before its label counts for training (a moderator's label always counts). */
  RETRAIN_MIN_VOTES: z.coerce.number().int().positive().default(1),
  /**
   * The optional second training stage: fine-tune the backbone's last FINE_TUNE_BLOCKS blocks on the stored photos
   * (random crop/flip). Runs only when training has a GPU backend (tfjs-node-gpu with CUDA, or TF_BACKEND=webgpu).
   */
  FINE_TUNE_BACKBONE: flagFromEnv(false),
  FINE_TUNE_BLOCKS: z.coerce.number().int().min(1).max(10).default(2),
  FINE_TUNE_EPOCHS: z.coerce.number().int().min(1).max(100).default(5),
  /** Stored photos nobody labelled, re-embedded by the fine-tuned backbone for the forgetting guard. */
  FINE_TUNE_GUARD_PHOTOS: z.coerce.number().int().min(1).default(300),

  /**
   * Classify photos posted in channels. Needs Discord's PRIVILEGED MessageContent intent (enable it in the
   * developer portal); AUTO_CLASSIFY=false runs without it (/classify and the message menu still work).
   */
  AUTO_CLASSIFY: flagFromEnv(true),
  /**
   * Find every dog in a photo with the COCO detector and name each one when there are several (src/detection/).
   * Off by default: on a CPU it costs several times a classification (README "Every dog in the photo").
   */
  DETECTOR: flagFromEnv(false),
  /**
   * What runs the detector: auto = its trunk on ONNX Runtime (2-3x faster than tfjs-wasm, same boxes) where
   * onnxruntime-node loads and the entry names a cut (`onnxTrunk`), else tfjs; onnx = that or fail; tfjs = tfjs only.
   */
  DETECTOR_ENGINE: z.enum(['auto', 'onnx', 'tfjs']).default('auto'),
  /** Per minute. Classification covers auto-classify, /classify and the message menu; labels cover reactions and /label. */
  RATE_CLASSIFY_PER_USER: intFromEnv(20),
  RATE_CLASSIFY_PER_GUILD: intFromEnv(200),
  RATE_LABEL_PER_USER: intFromEnv(60),
  RATE_LABEL_PER_GUILD: intFromEnv(1000),

  /**
   * The HTTP API for other tools (src/http/, README "HTTP API"): off unless both HTTP_API_PORT and HTTP_API_KEY
   * are set. HTTP_API_KEY is one key, or several separated by commas (to rotate them), each of 16+ characters.
   */
  HTTP_API_PORT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(0).max(65535).optional(),
  ),
  HTTP_API_HOST: z.string().default('127.0.0.1'),
  HTTP_API_KEY: z.string().optional(),
  /** The largest request body the API reads; IMAGE_MAX_BYTES when unset. */
  HTTP_API_MAX_BODY_BYTES: z.coerce.number().int().positive().optional(),
  SANDBOX_HOST: z.string().default('127.0.0.1'),
  SANDBOX_PORT: intFromEnv(3000),
  /** Scale-out (docs/deployment.md): with REDIS_URL, /retrain goes to `npm run trainer` over BullMQ and promotions are broadcast. */
  REDIS_URL: z.string().optional(),
  /** Prefix of every Redis key and channel breedbot uses, so several deployments (or test runs) can share a Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[\w:.-]+$/)
    .default('breedbot'),
  /** `npm run start:shards`: shards to run ("auto" asks Discord). */
  SHARD_COUNT: z.union([z.literal('auto'), z.coerce.number().int().positive()]).default(2),
  /**
   * Every serving process (single bot, shard, trainer) re-reads the database's active model version this often, so
   * it follows a version the CLI activates and heals a missed broadcast; 0 = only on broadcasts.
   */
  MODEL_SYNC_INTERVAL_S: intFromEnv(15),
});

/** The HTTP API's settings, resolved; null when it is off. */
export interface HttpApiSettings {
  port: number;
  host: string;
  keys: string[];
  maxBodyBytes: number;
}

export type Config = z.infer<typeof envSchema> & {
  dataDir: string;
  modelsDir: string;
  baseModelConfigPath: string;
  httpApi: HttpApiSettings | null;
};

const MIN_API_KEY_LENGTH = 16;

/** Off unless both the port and a key are set; one without the other is a mistake worth stopping for. */
function httpApiSettings(c: z.infer<typeof envSchema>): HttpApiSettings | null | string {
  const keys = (c.HTTP_API_KEY ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (c.HTTP_API_PORT === undefined && keys.length === 0) return null;
  if (c.HTTP_API_PORT === undefined) return '  HTTP_API_PORT: needed with HTTP_API_KEY (the API is off without it)';
  if (keys.length === 0) return '  HTTP_API_KEY: needed with HTTP_API_PORT (the API never runs without a key)';
  if (keys.some((k) => k.length < MIN_API_KEY_LENGTH))
    return `  HTTP_API_KEY: each key needs at least ${MIN_API_KEY_LENGTH} characters`;
  return {
    port: c.HTTP_API_PORT,
    host: c.HTTP_API_HOST,
    keys,
    maxBodyBytes: c.HTTP_API_MAX_BODY_BYTES ?? c.IMAGE_MAX_BYTES,
  };
}

/** Reads and validates every setting once; relative paths resolve against the project root. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration in the environment:\n${problems}`);
  }
  const c = parsed.data;
  const httpApi = httpApiSettings(c);
  if (typeof httpApi === 'string') throw new Error(`Invalid configuration in the environment:\n${httpApi}`);
  return {
    ...c,
    dataDir: path.resolve(projectRoot, c.DATA_DIR),
    modelsDir: path.resolve(projectRoot, c.MODELS_DIR),
    baseModelConfigPath: path.resolve(projectRoot, c.BASE_MODEL_CONFIG ?? `models/${c.BACKBONE}.model.json`),
    httpApi,
  };
}

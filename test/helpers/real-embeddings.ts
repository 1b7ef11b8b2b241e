/**
 * Dev/test helper: real 768-d MobileNet v1 0.75 embeddings of the ../shared photos, computed once per machine
 * with tfjs (wasm) and cached under os.tmpdir() (never in the repository).
 *
 * Each image's embedding is cached on its own (keyed by a hash of its absolute path, size and mtime), so a test
 * that needs a subset computes only that subset when the cache is cold and reuses a full run's cache when warm.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/config.ts';
import type { BreedHead } from '../../src/model/types.ts';
import type { LabelledPoint } from '../../src/training/evaluate.ts';
import type { LabelledEmbedding } from '../../src/training/types.ts';

export const sharedDir = path.resolve(projectRoot, '../shared');
export const modelDir = path.join(sharedDir, 'models/mobilenet_v1_0.75_224');
export const imagewoofDir = path.join(sharedDir, 'datasets/imagewoof');
export const otherBreedsDir = path.join(sharedDir, 'datasets/otherbreeds');
export const hasSharedData = existsSync(modelDir) && existsSync(imagewoofDir) && existsSync(otherBreedsDir);
export const sharedSkipReason = hasSharedData
  ? false
  : 'needs ../shared/models and ../shared/datasets (absent)';

export const BACKBONE_ID = 'mobilenet_v1_0.75_224';
const EMBEDDING_LAYER = 'global_average_pooling2d_1';
const CLASSIFIER_LAYER = 'conv_preds';
/** ImageNet dog classes (118 breeds + wolves, coyote, dingo, dhole, African hunting dog). */
export const DOG_CLASS_RANGE = { first: 151, last: 275 } as const;

const cacheDir = path.join(os.tmpdir(), `breedbot-embeddings-${BACKBONE_ID}-v1`);

export interface LabelledPhoto {
  file: string;
  synset: string;
  /** ImageNet class index of the photo's breed. */
  imagenetIndex: number;
}

export function imagenetLabels(): string[] {
  return readFileSync(path.join(modelDir, 'imagenet_labels.txt'), 'utf8').trimEnd().split('\n');
}

export function imagenetSynsets(): string[] {
  return readFileSync(path.join(modelDir, 'imagenet_synsets.txt'), 'utf8').trimEnd().split('\n');
}

function synsetIndex(): Map<string, number> {
  return new Map(imagenetSynsets().map((s, i) => [s.trim().split(/\s+/)[0] ?? s, i]));
}

function listPhotos(root: string): LabelledPhoto[] {
  const index = synsetIndex();
  return readdirSync(root)
    .filter((d) => statSync(path.join(root, d)).isDirectory())
    .sort()
    .flatMap((synset) => {
      const imagenetIndex = index.get(synset);
      if (imagenetIndex === undefined) throw new Error(`unknown synset ${synset}`);
      return readdirSync(path.join(root, synset))
        .filter((f) => /\.jpe?g$/i.test(f))
        .sort()
        .map((f) => ({ file: path.join(root, synset, f), synset, imagenetIndex }));
    });
}

export const imagewoofPhotos = (split: 'train' | 'val'): LabelledPhoto[] =>
  listPhotos(path.join(imagewoofDir, split));
export const otherBreedPhotos = (): LabelledPhoto[] => listPhotos(otherBreedsDir);

/** Label string used for ImageNet class i in tests (plain ImageNet label; readable names are the model's job). */
export const breedName = (labels: string[], index: number): string => labels[index] ?? `class ${index}`;

// ---------------------------------------------------------------- tfjs (loaded lazily: tests without data stay light)

type Tf = typeof import('@tensorflow/tfjs');
type LayersModel = import('@tensorflow/tfjs').LayersModel;
let backbone: Promise<{ tf: Tf; model: LayersModel; embedder: LayersModel }> | undefined;

async function loadBackbone(): Promise<{ tf: Tf; model: LayersModel; embedder: LayersModel }> {
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(path.join(projectRoot, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  await tf.setBackend('wasm');
  await tf.ready();
  const modelJson = JSON.parse(readFileSync(path.join(modelDir, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: import('@tensorflow/tfjs').io.WeightsManifestEntry[] }[];
  };
  const handler: import('@tensorflow/tfjs').io.IOHandler = {
    load: async () => {
      const weightSpecs = modelJson.weightsManifest.flatMap((g) => g.weights);
      const buffers = modelJson.weightsManifest.flatMap((g) =>
        g.paths.map((p) => readFileSync(path.join(modelDir, p))),
      );
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return { modelTopology: modelJson.modelTopology, weightSpecs, weightData };
    },
  };
  const model = await tf.loadLayersModel(handler);
  const embedder = tf.model({ inputs: model.inputs, outputs: model.getLayer(EMBEDDING_LAYER).output });
  return { tf, model, embedder };
}

const getBackbone = () => (backbone ??= loadBackbone());

/** The ImageNet classifier (conv_preds) as a 1000-way dense layer: kernel [768, 1000] row-major, bias [1000]. */
export async function imagenetClassifier(): Promise<{ kernel: Float32Array; bias: Float32Array }> {
  const cached = path.join(cacheDir, 'conv_preds.f32');
  if (existsSync(cached)) {
    const all = new Float32Array(new Uint8Array(readFileSync(cached)).buffer);
    return { kernel: all.slice(0, 768 * 1000), bias: all.slice(768 * 1000) };
  }
  const { model } = await getBackbone();
  const [kernel4d, bias] = model.getLayer(CLASSIFIER_LAYER).getWeights();
  if (!kernel4d || !bias) throw new Error('conv_preds has no weights');
  const kernel = new Float32Array(kernel4d.dataSync()); // [1,1,768,1000] is already [768,1000] row-major
  const b = new Float32Array(bias.dataSync());
  writeAtomic(cached, Buffer.concat([f32Bytes(kernel), f32Bytes(b)]));
  return { kernel, bias: b };
}

/** The day-one breed head: ImageNet classes `indices` (default 151..275), named with plain ImageNet labels. */
export async function imagenetBreedHead(indices = dogClassIndices()): Promise<BreedHead> {
  const { kernel: full, bias: fullBias } = await imagenetClassifier();
  const labels = imagenetLabels();
  const n = indices.length;
  const kernel = new Float32Array(768 * n);
  for (let d = 0; d < 768; d++) for (let j = 0; j < n; j++) kernel[d * n + j] = full[d * 1000 + indices[j]!]!;
  return {
    breeds: indices.map((i) => breedName(labels, i)),
    inputDim: 768,
    kernel,
    bias: Float32Array.from(indices, (i) => fullBias[i]!),
  };
}

export function dogClassIndices(): number[] {
  const out: number[] = [];
  for (let i = DOG_CLASS_RANGE.first; i <= DOG_CLASS_RANGE.last; i++) out.push(i);
  return out;
}

function f32Bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function writeAtomic(file: string, data: Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

function cacheKey(file: string): string {
  const st = statSync(file);
  return createHash('sha1')
    .update(`${path.resolve(file)}\0${st.size}\0${st.mtimeMs}`)
    .digest('hex');
}

async function preprocess(file: string): Promise<Float32Array> {
  const sharp = (await import('sharp')).default;
  const raw = await sharp(file).rotate().resize(224, 224, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  const out = new Float32Array(224 * 224 * 3);
  for (let i = 0; i < out.length; i++) out[i] = raw[i]! / 127.5 - 1;
  return out;
}

/**
 * Embeddings for `files` (in order). Cached per image; missing ones are computed in batches of 16.
 * `onProgress(done, total)` reports the cold-cache computation.
 */
export async function embedFiles(
  files: string[],
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array[]> {
  const out: (Float32Array | undefined)[] = files.map((f) => {
    const p = path.join(cacheDir, `${cacheKey(f)}.f32`);
    return existsSync(p) ? new Float32Array(new Uint8Array(readFileSync(p)).buffer) : undefined;
  });
  const missing = files.map((_, i) => i).filter((i) => !out[i]);
  if (missing.length > 0) {
    const { tf, embedder } = await getBackbone();
    for (let start = 0; start < missing.length; start += 16) {
      const batch = missing.slice(start, start + 16);
      const inputs = await Promise.all(batch.map((i) => preprocess(files[i]!)));
      const flat = new Float32Array(inputs.length * 224 * 224 * 3);
      inputs.forEach((x, k) => flat.set(x, k * x.length));
      const result = tf.tidy(
        () =>
          embedder.predict(
            tf.tensor4d(flat, [inputs.length, 224, 224, 3]),
          ) as import('@tensorflow/tfjs').Tensor,
      );
      const data = (await result.data()) as Float32Array;
      result.dispose();
      batch.forEach((i, k) => {
        const e = data.slice(k * 768, (k + 1) * 768);
        out[i] = e;
        writeAtomic(path.join(cacheDir, `${cacheKey(files[i]!)}.f32`), f32Bytes(e));
      });
      onProgress?.(Math.min(start + 16, missing.length), missing.length);
    }
  }
  return out as Float32Array[];
}

export interface EmbeddedPhoto extends LabelledPhoto {
  embedding: Float32Array;
}

export async function embedPhotos(photos: LabelledPhoto[]): Promise<EmbeddedPhoto[]> {
  const embeddings = await embedFiles(photos.map((p) => p.file));
  return photos.map((p, i) => ({ ...p, embedding: embeddings[i]! }));
}

/** Hash of the image bytes (what the product keys images by). */
export function fileSha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Take the first `perClass` photos of each synset (stable: files are sorted). */
export function firstPerClass<T extends LabelledPhoto>(photos: T[], perClass: number): T[] {
  const seen = new Map<string, number>();
  return photos.filter((p) => {
    const n = seen.get(p.synset) ?? 0;
    seen.set(p.synset, n + 1);
    return n < perClass;
  });
}

/** Photos as evaluation points, named by their ImageNet class. */
export const asPoints = (photos: EmbeddedPhoto[], names: string[]): LabelledPoint[] =>
  photos.map((p) => ({ embedding: p.embedding, breed: names[p.imagenetIndex]! }));

/** Photos as one person's labels of their true breed, as the learning loop receives them. */
export const asLabels = (photos: EmbeddedPhoto[], names: string[]): LabelledEmbedding[] =>
  photos.map((p) => ({
    imageId: p.file,
    sha256: fileSha256(p.file),
    breed: names[p.imagenetIndex]!,
    weight: 1,
    embedding: p.embedding,
  }));

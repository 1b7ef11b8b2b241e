/**
 * Finds the dogs in a photo with a COCO object detector (a tfjs graph model, see models/<id>.detector.json):
 * the photo is letterboxed into the model's square input with sharp, the boxes are mapped back to the photo's
 * pixels, weak ones dropped, duplicates suppressed, and only dogs kept. Runs on whichever tfjs backend is active
 * (select it first, as the classifier runtime does), with the graph's trunk on ONNX Runtime where DETECTOR_ENGINE
 * allows (onnx-trunk.ts).
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { fileModelHandler } from '../model/model-files.ts';
import {
  cropRegion,
  dogsIn,
  letterboxOf,
  type Box,
  type DetectorOutput,
  type DogDetection,
} from './boxes.ts';
import type { DetectorConfig } from './detector-config.ts';
import {
  chooseTrunk,
  loadOnnxTrunk,
  type DetectorEngineSetting,
  type DetectorTrunk,
  type TrunkChoice,
} from './onnx-trunk.ts';
import {
  resolveDetectorFiles,
  type DetectorSourceOptions,
  type ResolvedDetectorFiles,
} from './detector-source.ts';

/** Pixel limit for decoding (the image intake has already refused larger photos; this is a second guard). */
const DEFAULT_MAX_PIXELS = 40_000_000;
/** A crop keeps this much of the box's size around it on each side, so ears and tails are not cut. */
export const DEFAULT_CROP_MARGIN = 0.1;

const decoder = (bytes: Uint8Array, maxPixels: number) =>
  sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels, pages: 1, page: 0 });

async function orientedSize(bytes: Uint8Array, maxPixels: number) {
  const meta = await decoder(bytes, maxPixels).metadata();
  const width = meta.width;
  const height = meta.pageHeight ?? meta.height;
  return (meta.orientation ?? 1) >= 5 ? { width: height, height: width } : { width, height };
}

export class DogDetector {
  readonly #model: tf.GraphModel;
  readonly #maxPixels: number;
  readonly #trunk: DetectorTrunk | undefined;
  /** What runs it ("onnxruntime-node + tfjs" with the ONNX trunk, else "tfjs"), and why. */
  readonly engine: { name: string; reason: string };

  constructor(
    model: tf.GraphModel,
    readonly config: DetectorConfig,
    readonly files: ResolvedDetectorFiles,
    maxPixels: number,
    choice: TrunkChoice,
  ) {
    this.#model = model;
    this.#maxPixels = maxPixels;
    this.#trunk = choice.trunk;
    this.engine = { name: choice.trunk ? `${choice.trunk.engine} + tfjs` : 'tfjs', reason: choice.reason };
  }

  /** The photo as the model's input: raw RGB 0..255, letterboxed (scaled to fit, centred on black). */
  async #input(bytes: Uint8Array, width: number, height: number) {
    const side = this.config.inputSize;
    const letterbox = letterboxOf(width, height, side);
    const { data } = await decoder(bytes, this.#maxPixels)
      .rotate()
      .resize(letterbox.innerWidth, letterbox.innerHeight, { fit: 'fill' })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .extend({
        top: letterbox.padY,
        bottom: side - letterbox.innerHeight - letterbox.padY,
        left: letterbox.padX,
        right: side - letterbox.innerWidth - letterbox.padX,
        background: '#000000',
      })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { pixels: Float32Array.from(data), letterbox };
  }

  /** The model's output for the letterboxed pixels: the whole graph in tfjs, or the tail fed by the ONNX trunk. */
  async #output(pixels: Float32Array): Promise<tf.Tensor> {
    const side = this.config.inputSize;
    if (!this.#trunk) {
      return tf.tidy(
        () =>
          this.#model.execute(tf.tensor4d(pixels, [1, side, side, 3]), this.config.outputNode) as tf.Tensor,
      );
    }
    const cut = await this.#trunk.run(pixels);
    return tf.tidy(() => {
      const feed = Object.fromEntries(
        Object.entries(cut).map(([node, value]) => [node, tf.tensor(value.data, value.shape)]),
      );
      return this.#model.execute(feed, this.config.outputNode) as tf.Tensor;
    });
  }

  /** Every detection row the model gives, [x1, y1, x2, y2, score, class] in input pixels. */
  async #rows(pixels: Float32Array): Promise<number[][]> {
    const output = await this.#output(pixels);
    try {
      const flat = await output.data();
      const width = output.shape[output.shape.length - 1]!;
      const rows: number[][] = [];
      for (let at = 0; at + width <= flat.length; at += width)
        rows.push(Array.from(flat.subarray(at, at + width)));
      return rows;
    } finally {
      output.dispose();
    }
  }

  /** The model's raw rows for a photo, with what maps them back to it (the bench re-reads them at other settings). */
  async readOutput(bytes: Uint8Array): Promise<DetectorOutput> {
    const { width, height } = await orientedSize(bytes, this.#maxPixels);
    const { pixels, letterbox } = await this.#input(bytes, width, height);
    return { width, height, letterbox, rows: await this.#rows(pixels) };
  }

  async detect(bytes: Uint8Array): Promise<DogDetection> {
    return dogsIn(await this.readOutput(bytes), this.config);
  }

  async dispose(): Promise<void> {
    this.#model.dispose();
    await this.#trunk?.dispose();
  }
}

/** The photo cut to one box plus a margin (squared up where the photo allows), as JPEG bytes. */
export async function cropDog(
  bytes: Uint8Array,
  detection: Pick<DogDetection, 'width' | 'height'>,
  box: Box,
  margin = DEFAULT_CROP_MARGIN,
): Promise<Buffer> {
  const region = cropRegion(box, margin, detection.width, detection.height);
  return decoder(bytes, DEFAULT_MAX_PIXELS)
    .rotate()
    .extract({ left: region.x, top: region.y, width: region.width, height: region.height })
    .jpeg({ quality: 95 })
    .toBuffer();
}

export interface LoadDetectorOptions extends Omit<DetectorSourceOptions, 'config'> {
  config: DetectorConfig;
  maxPixels?: number;
  /** DETECTOR_ENGINE; default tfjs. */
  engine?: DetectorEngineSetting;
}

/** Resolves the detector's checked files (cache, download or mirror) and loads the graph model. */
export async function loadDogDetector(options: LoadDetectorOptions): Promise<DogDetector> {
  const files = await resolveDetectorFiles(options);
  return openDogDetector({ ...options, files });
}

/** The graph model from checked files, its trunk on ONNX Runtime where the engine setting allows. */
export async function openDogDetector(options: {
  config: DetectorConfig;
  files: ResolvedDetectorFiles;
  cacheRoot: string;
  engine?: DetectorEngineSetting;
  maxPixels?: number;
}): Promise<DogDetector> {
  const { config, files } = options;
  const model = await tf.loadGraphModel(fileModelHandler(files.dir, files.jsonFile));
  const choice = await chooseTrunk(options.engine ?? 'tfjs', () =>
    loadOnnxTrunk({
      config,
      model,
      graphFile: path.join(files.dir, files.jsonFile),
      cacheRoot: options.cacheRoot,
    }),
  );
  return new DogDetector(model, config, files, options.maxPixels ?? DEFAULT_MAX_PIXELS, choice);
}

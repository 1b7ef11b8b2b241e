/** Messages between the serving thread and an embedding worker (plain data; inputs travel as transferables). */
import type { BackendName } from '../backend.ts';
import type { OnnxPrecision } from '../onnx/onnx-backbone.ts';
import type { PretrainedWeights } from '../pretrained.ts';

export type WorkerBackboneKind = 'tfjs' | 'onnx';

export interface EmbedWorkerSetup {
  kind: WorkerBackboneKind;
  /** The model's metadata file (input size, embedding layer, ...). */
  modelConfigPath: string;
  /** A local folder holding model.json (the main thread has already resolved downloads and mirrors). */
  modelDir: string;
  /** tfjs engine to use in the worker (TF_BACKEND); the automatic choice when absent. */
  backend?: BackendName;
  /** ONNX Runtime intra-op threads. */
  onnxThreads?: number;
  /** ONNX Runtime pool threads spin while waiting (ORT's default) when true; absent: the backbone's default. */
  onnxSpinning?: boolean;
  /** 'int8': embed with the integer graph of `tfliteFile` (onnx/onnx-precision.ts); absent: the float graph. */
  onnxPrecision?: OnnxPrecision;
  /** The checked .tflite file the backbone was converted from, for onnxPrecision 'int8'. */
  tfliteFile?: string;
  /** Name in logs and memory reports, e.g. 'embed-worker-1'. */
  label: string;
  /** When given, the worker also returns each image's pretrained-classifier summary (not-a-dog verdict). */
  pretrained?: PretrainedWeights;
}

export type ToWorker =
  { type: 'embed'; id: number; count: number; batch: Float32Array } | { type: 'memory'; id: number };

export type FromWorker =
  | { type: 'ready'; backendName: string; embeddingDim: number; inputSize: number }
  | { type: 'startup-error'; message: string }
  | {
      type: 'embedded';
      id: number;
      dim: number;
      embeddings: Float32Array;
      /** Per image [dogProbability, bestOther, bestOtherProbability], when the setup had pretrained weights. */
      summaries?: Float64Array;
    }
  | { type: 'memory'; id: number; numTensors: number | null; numBytes: number | null; heapUsedBytes: number }
  | { type: 'error'; id: number; message: string };

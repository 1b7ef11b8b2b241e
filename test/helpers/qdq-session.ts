/** A .tflite's integer (QDQ) graph in ONNX Runtime, with its ImageNet logits, for the fidelity suites. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { softmax } from '../../src/model/head-math.ts';
import { loadOnnxRuntime, type OnnxRuntime } from '../../src/model/onnx/onnxruntime.ts';
import { convertTfliteToQdq } from '../../src/model/onnx/tflite-to-qdq-onnx.ts';
import type { TfliteModel } from '../../src/model/tflite/index.ts';

export interface QdqSession {
  ort: OnnxRuntime;
  session: Awaited<ReturnType<OnnxRuntime['InferenceSession']['create']>>;
  converted: ReturnType<typeof convertTfliteToQdq>;
}

/** The converted graph (embedding and logits) in a one-thread session; ORT's optimised graph is left in `work`. */
export async function openQdqSession(model: TfliteModel, work: string): Promise<QdqSession> {
  const ort = await loadOnnxRuntime();
  const converted = convertTfliteToQdq(model, { withLogits: true });
  const onnxFile = path.join(work, `${path.basename(model.file)}.onnx`);
  writeFileSync(onnxFile, converted.onnx);
  const session = await ort.InferenceSession.create(onnxFile, {
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    ...{ optimizedModelFilePath: path.join(work, 'optimized.onnx'), logSeverityLevel: 3 },
  });
  return { ort, session, converted };
}

/** The graph's embedding and its softmax over all 1001 logits (background first), as the .tflite computes them. */
export async function qdqProbabilities({ ort, session, converted }: QdqSession, x: Float32Array) {
  const out = await session.run({
    [session.inputNames[0]!]: new ort.Tensor('float32', x, [1, 224, 224, 3]),
  });
  const logits = out[converted.logitsName!]!.data as Float32Array;
  assert.equal(logits.length, 1001);
  return { embedding: out[converted.outputName]!.data as Float32Array, probs: softmax(logits) };
}

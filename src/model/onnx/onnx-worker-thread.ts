/** Worker-thread side of onnx-worker.ts: owns one ONNX Runtime session and embeds packed batches. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ModelConfig } from '../model-config.ts';
import { loadOnnxBackbone, type OnnxBackboneOptions } from './onnx-backbone.ts';
import type { WorkerReply, WorkerRequest } from './onnx-worker.ts';

const { modelDir, modelConfig, options } = workerData as {
  modelDir: string;
  modelConfig: ModelConfig;
  options: OnnxBackboneOptions;
};
const port = parentPort!;
const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

try {
  const backbone = await loadOnnxBackbone(modelDir, modelConfig, options);
  port.on('message', async (request: WorkerRequest) => {
    try {
      const flat = await backbone.embedFlat(request.batch, request.count);
      reply({ type: 'embedded', id: request.id, flat }, [flat.buffer as ArrayBuffer]);
    } catch (err) {
      reply({ type: 'failed', id: request.id, name: (err as Error).name, message: (err as Error).message });
    }
  });
  reply({ type: 'ready', embeddingDim: backbone.embeddingDim, onnxPath: backbone.onnxPath });
} catch (err) {
  reply({ type: 'failed', id: -1, name: (err as Error).name, message: (err as Error).message });
}

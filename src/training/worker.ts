/**
 * The training worker thread: runs one `trainCandidate` off the main event loop and reports over the port.
 * Messages out: { type: 'progress', progress } | { type: 'done', result } | { type: 'error', message, stack }.
 * Message in: { type: 'abort' } (cooperative); the parent may also just terminate the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendName } from '../model/backend.ts';
import { trainCandidate, type TrainingInput } from './pipeline.ts';

export interface WorkerRequest {
  input: TrainingInput;
  backend?: BackendName;
}

if (!parentPort) throw new Error('src/training/worker.ts must run as a worker thread (see run-training.ts)');
const port = parentPort;
const controller = new AbortController();
port.on('message', (m: { type?: string }) => {
  if (m?.type === 'abort') controller.abort();
});

try {
  const request = workerData as WorkerRequest;
  const backend = await selectBackend(request.backend);
  const result = await trainCandidate(request.input, {
    backend: backend.name,
    signal: controller.signal,
    onProgress: (progress) => port.postMessage({ type: 'progress', progress }),
  });
  port.postMessage({ type: 'done', result, backend: backend.name });
} catch (err) {
  const e = err as Error;
  port.postMessage({ type: 'error', message: e?.message ?? String(err), name: e?.name, stack: e?.stack });
} finally {
  port.close();
}

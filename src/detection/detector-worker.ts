/**
 * The detector's worker thread: loads the graph model on its own tfjs backend and answers detect requests, so the
 * model's synchronous execute (hundreds of ms on wasm) never blocks the serving thread's event loop.
 * Started by worker-detector.ts through detector-worker.mjs.
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../model/backend.ts';
import { fileModelHandler } from '../model/model-files.ts';
import { DogDetector } from './detector.ts';
import type { DetectorWorkerSetup, FromDetectorWorker, ToDetectorWorker } from './worker-detector.ts';

if (!parentPort) throw new Error('detector-worker.ts must run as a worker thread (see worker-detector.ts)');
const port = parentPort;
const setup = workerData as DetectorWorkerSetup;
const send = (message: FromDetectorWorker) => port.postMessage(message);

try {
  const backend = await selectBackend(setup.backend);
  const model = await tf.loadGraphModel(fileModelHandler(setup.files.dir, setup.files.jsonFile));
  const detector = new DogDetector(model, setup.config, setup.files, setup.maxPixels);
  port.on('message', (message: ToDetectorWorker) => {
    detector.detect(new Uint8Array(message.bytes)).then(
      (detection) => send({ type: 'detected', id: message.id, detection }),
      (err: unknown) => send({ type: 'failed', id: message.id, message: (err as Error).message }),
    );
  });
  send({ type: 'ready', backend: backend.name });
} catch (err) {
  send({ type: 'startup-failed', message: (err as Error).message });
}

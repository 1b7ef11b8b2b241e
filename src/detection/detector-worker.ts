/**
 * The detector's worker thread: loads the graph model on its own tfjs backend and answers detect requests, so the
 * model's synchronous execute (hundreds of ms on wasm) never blocks the serving thread's event loop.
 * Started by worker-detector.ts through detector-worker.mjs.
 */
import os from 'node:os';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../model/backend.ts';
import { projectRoot } from '../config.ts';
import { openDogDetector } from './detector.ts';
import type { DetectorWorkerSetup, FromDetectorWorker, ToDetectorWorker } from './worker-detector.ts';

/**
 * Detection is background work that runs after the answer is out (issue 12): on a small machine it must not take
 * a core from the next photo's answer. On Linux a nice value is per thread, and pid 0 means this thread, so only
 * the detector's thread yields; elsewhere this may lower the whole process, so it is left alone.
 */
export const DETECTOR_NICE_STEP = 10;
function lowerThisThreadsPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    os.setPriority(0, Math.min(19, os.getPriority(0) + DETECTOR_NICE_STEP));
  } catch {
    // Not allowed here (a sandbox): detection still works at the same priority.
  }
}

if (!parentPort) throw new Error('detector-worker.ts must run as a worker thread (see worker-detector.ts)');
const port = parentPort;
const setup = workerData as DetectorWorkerSetup;
const send = (message: FromDetectorWorker) => port.postMessage(message);

try {
  const backend = await selectBackend(setup.backend);
  const detector = await openDogDetector({
    config: setup.config,
    files: setup.files,
    cacheRoot: setup.cacheRoot ?? path.join(projectRoot, 'models', 'cache'),
    ...(setup.engine ? { engine: setup.engine } : {}),
    ...(setup.maxPixels ? { maxPixels: setup.maxPixels } : {}),
  });
  port.on('message', (message: ToDetectorWorker) => {
    detector.detect(new Uint8Array(message.bytes)).then(
      (detection) => send({ type: 'detected', id: message.id, detection }),
      (err: unknown) => send({ type: 'failed', id: message.id, message: (err as Error).message }),
    );
  });
  lowerThisThreadsPriority();
  send({ type: 'ready', backend: backend.name, engine: detector.engine });
} catch (err) {
  send({ type: 'startup-failed', message: (err as Error).message });
}

import path from 'node:path';
import { projectRoot, type Config } from '../config.ts';
import type { BackendName } from '../model/backend.ts';
import { loadDetectorConfig } from './detector-config.ts';
import { resolveDetectorFiles } from './detector-source.ts';
import { loadDogDetector } from './detector.ts';
import { WorkerDogDetector, type DogFinder } from './worker-detector.ts';
import { BoundedDogFinder } from './bounded-finder.ts';
import { log } from '../log.ts';

/** The committed detector entry. */
export const DETECTOR_ENTRY = path.join(projectRoot, 'models/centernet_coco.detector.json');

export interface ConfiguredDetectorOptions {
  /** Run it in a worker thread (serving processes), on this tfjs backend; in this thread otherwise (the CLI). */
  worker?: { backend: BackendName };
}

/**
 * The detector when DETECTOR is on (downloaded into `<MODELS_DIR>/cache/` or read from the mirror), else undefined.
 * In this thread, load it after the classifier runtime: it runs on the tfjs backend that chose.
 */
export async function loadConfiguredDetector(
  config: Pick<Config, 'DETECTOR' | 'DETECTOR_ENGINE' | 'modelsDir'>,
  options: ConfiguredDetectorOptions = {},
): Promise<DogFinder | undefined> {
  if (!config.DETECTOR) return undefined;
  const source = {
    config: loadDetectorConfig(DETECTOR_ENTRY),
    cacheRoot: path.join(config.modelsDir, 'cache'),
    baseDir: projectRoot,
  };
  if (!options.worker) return loadDogDetector({ ...source, engine: config.DETECTOR_ENGINE });
  const files = await resolveDetectorFiles(source);
  const worker = await WorkerDogDetector.start({
    config: source.config,
    files,
    backend: options.worker.backend,
    engine: config.DETECTOR_ENGINE,
    cacheRoot: source.cacheRoot,
  });
  log.info({ ...worker.engine }, `dog detector: ${worker.engine.name} (${worker.engine.reason})`);
  // Serving: detection runs after the answer is out, so a burst must not pile up behind it.
  return new BoundedDogFinder(worker);
}

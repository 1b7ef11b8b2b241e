import path from 'node:path';
import { projectRoot, type Config } from '../config.ts';
import { loadDetectorConfig } from './detector-config.ts';
import { loadDogDetector, type DogDetector } from './detector.ts';

/** The committed detector entry. */
export const DETECTOR_ENTRY = path.join(projectRoot, 'models/centernet_coco.detector.json');

/**
 * The detector when DETECTOR is on (downloaded into `<MODELS_DIR>/cache/` or read from the mirror), else undefined.
 * Load it after the classifier runtime: it runs on the tfjs backend that chose.
 */
export async function loadConfiguredDetector(
  config: Pick<Config, 'DETECTOR' | 'modelsDir'>,
): Promise<DogDetector | undefined> {
  if (!config.DETECTOR) return undefined;
  return loadDogDetector({
    config: loadDetectorConfig(DETECTOR_ENTRY),
    cacheRoot: path.join(config.modelsDir, 'cache'),
    baseDir: projectRoot,
  });
}

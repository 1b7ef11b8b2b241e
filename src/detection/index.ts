/** Every dog in the photo: the COCO detector, its boxes, and crops for the classifier. */
export { loadDetectorConfig, type DetectorConfig } from './detector-config.ts';
export { DetectorFilesError, resolveDetectorFiles, type ResolvedDetectorFiles } from './detector-source.ts';
export {
  cropDog,
  DEFAULT_CROP_MARGIN,
  DogDetector,
  loadDogDetector,
  type LoadDetectorOptions,
} from './detector.ts';
export {
  cropRegion,
  dogsIn,
  intersectionOverUnion,
  type Box,
  type DetectorOutput,
  type DogBox,
  type DogDetection,
} from './boxes.ts';
export { classifyEachDog, type DogAnswer } from './classify-dogs.ts';
export { DETECTOR_ENTRY, loadConfiguredDetector, type ConfiguredDetectorOptions } from './configured.ts';
export { WorkerDogDetector, type DogFinder } from './worker-detector.ts';
export { BoundedDogFinder, DETECTOR_MAX_QUEUED, DetectorQueueFullError } from './bounded-finder.ts';

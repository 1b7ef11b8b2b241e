/**
 * The second stage of classifying a photo (issue 12): every dog in it. A new photo goes through the detector
 * after its whole-photo answer is out; a replayed one gets its dogs back from storage. Either way the boxes
 * picture is drawn from the crops' regions as stored, so a replay shows the very same picture.
 */
import type { Store, StoredPrediction } from '../../app/store.ts';
import { drawDogBoxes } from '../../images/dog-boxes.ts';
import { log } from '../../log.ts';
import type { ServiceDeps } from '../deps.ts';
import { dogPositions } from './dog-position.ts';
import { viewOf } from './prediction-view.ts';
import { savePredictionOf, sourceKeyOf } from './save-prediction.ts';
import type { DogClassification, ImageSource, PhotoDogs } from './types.ts';

export interface StoredPhoto {
  imageId: string;
  width: number;
  height: number;
}

/**
 * Finds the dogs of a just-classified photo and stores each crop (an image whose parent is the photo) with its
 * prediction (`<source>:dog<N>`). Null with fewer than two dogs. Settles, never rejects: a failure is logged and
 * the photo keeps its whole-photo answer.
 */
export async function dogsOfNewPhoto(
  deps: Pick<ServiceDeps, 'store' | 'model'>,
  bytes: Uint8Array,
  photo: StoredPhoto,
  source: ImageSource,
): Promise<PhotoDogs | null> {
  try {
    const found = (await deps.model.classifyEachDog?.(bytes)) ?? [];
    if (found.length < 2) return null;
    const regions = found.map((d) => d.crop.region);
    const positions = dogPositions(regions, photo.width, photo.height);
    const dogs: DogClassification[] = [];
    // One at a time, in order: each crop is an image and a prediction of its own.
    for (const [i, dog] of found.entries()) {
      const { bytes: cropBytes, region, ...facts } = dog.crop;
      const cropId = await deps.store.saveImage({
        ...facts,
        bytes: cropBytes,
        cropOf: { parentImageId: photo.imageId, box: region },
      });
      const saved = await savePredictionOf(deps.store, cropId, dog.result, source, i + 1);
      dogs.push({
        number: i + 1,
        position: positions[i]!,
        imageId: cropId,
        predictionId: saved.prediction.id,
        view: viewOf(saved.prediction),
        region,
        detected: dog.box,
      });
    }
    return { dogs, picture: await drawDogBoxes(bytes, regions) };
  } catch (err) {
    log.warn({ err, source }, 'finding the dogs failed; the photo keeps its whole-photo answer');
    return null;
  }
}

/** A replayed source's dogs, as first stored: null when it had fewer than two or its photo is gone. */
export async function storedDogsOf(
  store: Store,
  photo: StoredPrediction,
  source: ImageSource,
): Promise<PhotoDogs | null> {
  const predictions = await store.dogPredictionsForSource(sourceKeyOf(source));
  if (predictions.length < 2) return null;
  const crops = await Promise.all(predictions.map((p) => store.dogCropOf(p.imageId)));
  const bytes = await store.imageBytes(photo.imageId);
  if (!bytes || crops.some((c) => !c)) return null;
  const regions = crops.map((c) => c!.box);
  const positions = dogPositions(regions, crops[0]!.parentWidth, crops[0]!.parentHeight);
  const dogs = predictions.map((p: StoredPrediction, i): DogClassification => ({
    number: p.dogNumber!,
    position: positions[i]!,
    imageId: p.imageId,
    predictionId: p.id,
    view: viewOf(p),
    region: regions[i]!,
  }));
  return { dogs, picture: await drawDogBoxes(bytes, regions) };
}

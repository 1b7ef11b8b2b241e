/** Photo bytes → the occlusion map of its top breed on one classifier, and where on the photo the map lies. */
import { prepareModelInput, type ImageLimits } from '../../images/decode.ts';
import type { BreedClassifier } from '../classifier.ts';
import { imageSpecOf } from '../model-config.ts';
import { centreSquare, type SeenSquare } from './heat-zone.ts';
import { occlusionMap, type OcclusionMap } from './occlusion.ts';

export interface PhotoExplanation {
  map: OcclusionMap;
  seen: SeenSquare;
}

/** Mid-grey, the patch colour: the value sharp's 0..255 channels take at 128 through the backbone's normalisation. */
const GREY = 128;

/**
 * Decodes the photo exactly as classifying does (same centre square, same normalisation) and maps what drove
 * its top breed. Throws ImageRejectedError for bad bytes.
 */
export async function explainPhoto(
  classifier: BreedClassifier,
  bytes: Uint8Array,
  options: { limits?: ImageLimits; grid?: number } = {},
): Promise<PhotoExplanation> {
  const spec = imageSpecOf(classifier.backbone.config);
  const prepared = await prepareModelInput(bytes, spec, options.limits);
  const map = await occlusionMap(classifier, prepared.input, {
    grey: GREY * spec.scale + spec.offset,
    ...(options.grid ? { grid: options.grid } : {}),
  });
  return { map, seen: centreSquare(prepared.width, prepared.height) };
}

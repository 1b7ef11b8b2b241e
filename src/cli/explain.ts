/** `classify --explain out.png`: the occlusion heatmap of one photo's top breed, at the photo's size. */
import { writeFile } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { imageLimitsFromConfig } from '../images/decode.ts';
import { heatmapOverlay } from '../images/heatmap-overlay.ts';
import type { BreedClassifier } from '../model/classifier.ts';
import { explainPhoto } from '../model/explain/explain-photo.ts';
import { hottestZone, type HeatZone } from '../model/explain/heat-zone.ts';
import { readImageArg } from './read-image.ts';

const where = (zone: HeatZone) =>
  zone.vertical === 'middle'
    ? zone.horizontal === 'centre'
      ? 'centre'
      : `centre-${zone.horizontal}`
    : `${zone.vertical}-${zone.horizontal}`;

/** Writes the heatmap PNG and returns the line to print about it. */
export async function writeExplanation(
  input: string,
  outFile: string,
  classifier: BreedClassifier,
  config: Config,
): Promise<string> {
  const bytes = await readImageArg(input, config);
  const { map, seen } = await explainPhoto(classifier, bytes, { limits: imageLimitsFromConfig(config) });
  const picture = await heatmapOverlay(bytes, map, seen);
  await writeFile(outFile, picture.png);
  const zone = hottestZone(map, seen);
  const heat = zone
    ? `most heat in the ${where(zone)} (${Math.round(zone.share * 100)}%)`
    : 'no region stood out';
  return `heatmap of ${map.breed} written to ${outFile} (${picture.width}×${picture.height}, ${heat})`;
}

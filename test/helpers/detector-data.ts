/** The detector's ../shared mirror and the pictures the detector tests build from ../shared's photos. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { projectRoot } from '../../src/config.ts';
import { loadDetectorConfig, type DetectorConfig } from '../../src/detection/index.ts';

export const detectorEntryPath = path.join(projectRoot, 'models/centernet_coco.detector.json');
export const sharedDetectorDir = path.resolve(projectRoot, '../shared/models/centernet_coco');
export const skipWithoutDetector = existsSync(path.join(sharedDetectorDir, 'centernet.json'))
  ? false
  : 'needs ../shared/models/centernet_coco (absent)';

export const detectorEntry = (): DetectorConfig => loadDetectorConfig(detectorEntryPath);

export interface Tile {
  /** Where the photo lies in the collage. */
  x: number;
  width: number;
  height: number;
}

/** Photos side by side, each scaled to `height`, as one PNG; with where each one went. */
export async function sideBySide(files: string[], height = 320): Promise<{ png: Buffer; tiles: Tile[] }> {
  const scaled = await Promise.all(
    files.map(async (file) => {
      const { data, info } = await sharp(await readFile(file))
        .rotate()
        .resize({ height })
        .png()
        .toBuffer({ resolveWithObject: true });
      return { data, width: info.width };
    }),
  );
  const tiles: Tile[] = [];
  let x = 0;
  for (const s of scaled) {
    tiles.push({ x, width: s.width, height });
    x += s.width;
  }
  const png = await sharp({ create: { width: x, height, channels: 3, background: '#808080' } })
    .composite(scaled.map((s, i) => ({ input: s.data, left: tiles[i]!.x, top: 0 })))
    .png()
    .toBuffer();
  return { png, tiles };
}

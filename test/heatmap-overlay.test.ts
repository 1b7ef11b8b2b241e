/**
 * The heatmap overlay and where its heat lies, on pictures built with sharp: a map hot in one corner colours that
 * corner red and the opposite one blue, only inside the square the model saw; a map with no heat leaves the photo
 * as it was.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { heatmapOverlay, jet } from '../src/images/heatmap-overlay.ts';
import { centreSquare, heatShare, hottestZone } from '../src/model/explain/heat-zone.ts';
import type { OcclusionMap } from '../src/model/explain/occlusion.ts';
import { patchOf } from '../src/model/explain/occlusion.ts';

const grey = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();

function mapWithHeatAt(cells: number[], grid = 7): OcclusionMap {
  const heat = new Float64Array(grid * grid);
  for (const c of cells) heat[c] = 0.3;
  return { grid, heat, breed: 'Beagle', probability: 0.9, images: grid * grid + 1 };
}

async function pixel(png: Buffer, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

describe('heatmap overlay', () => {
  test('jet runs from blue through green to red', () => {
    assert.deepEqual(jet(0), [0, 0, 128]);
    assert.deepEqual(jet(0.5), [128, 255, 128]);
    assert.deepEqual(jet(1), [128, 0, 0]);
  });

  test('heat in the top-left cell: red there, blue in the far corner, the zone is top-left', async () => {
    const photo = await grey(300, 200);
    const map = mapWithHeatAt([0]);
    const seen = centreSquare(300, 200);
    assert.deepEqual(seen, { photoWidth: 300, photoHeight: 200, side: 200, left: 50, top: 0 });
    const picture = await heatmapOverlay(photo, map, seen);
    assert.deepEqual([picture.width, picture.height], [300, 200]);
    const [r1, , b1] = await pixel(picture.png, 55, 5);
    const [r2, , b2] = await pixel(picture.png, 245, 195);
    assert.ok(r1 > b1 + 40, `top-left of the seen square is red: ${r1} vs blue ${b1}`);
    assert.ok(b2 > r2 + 20, `bottom-right is blue: ${b2} vs red ${r2}`);
    assert.deepEqual(
      await pixel(picture.png, 10, 100),
      [128, 128, 128],
      'outside the seen square: untouched',
    );
    assert.deepEqual(hottestZone(map, seen), { vertical: 'top', horizontal: 'left', share: 1 });
    assert.equal(
      heatShare(map, seen, (x) => x < 0.5),
      1,
    );
  });

  test('a map with no heat leaves the photo uncoloured and names no zone', async () => {
    const photo = await grey(120, 90);
    const map = mapWithHeatAt([]);
    const picture = await heatmapOverlay(photo, map, centreSquare(120, 90), { maxSide: 60 });
    assert.deepEqual([picture.width, picture.height], [60, 45], 'scaled down to maxSide');
    assert.deepEqual(await pixel(picture.png, 30, 22), [128, 128, 128]);
    assert.equal(hottestZone(map, centreSquare(120, 90)), null);
  });

  test('patches are two cells wide, overlap by half and stay inside the square', () => {
    assert.deepEqual(patchOf(0, 0, 7, 224), { left: 0, top: 0, width: 48, height: 48 });
    assert.deepEqual(patchOf(3, 3, 7, 224), { left: 80, top: 80, width: 64, height: 64 });
    assert.deepEqual(patchOf(0, 3, 7, 224), { left: 80, top: 0, width: 64, height: 48 });
    const last = patchOf(6, 6, 7, 224);
    assert.equal(last.left + last.width, 224);
    assert.equal(last.top + last.height, 224);
  });
});

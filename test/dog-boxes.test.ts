/** Several dogs in a reply: where each one is (the position word's code) and the numbered boxes picture. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { dogPositions } from '../src/features/classify/dog-position.ts';
import { drawDogBoxes } from '../src/images/dog-boxes.ts';

test('dogs side by side are left / centre / right by their centres; stacked dogs are top / bottom', () => {
  const row = [0, 300, 600].map((x) => ({ x, y: 50, width: 200, height: 200 }));
  assert.deepEqual(dogPositions(row, 800, 300), ['left', 'centre', 'right']);
  assert.deepEqual(dogPositions(row.slice(1), 800, 300), ['centre', 'right']);
  const column = [
    { x: 100, y: 0, width: 200, height: 180 },
    { x: 120, y: 420, width: 200, height: 180 },
  ];
  assert.deepEqual(dogPositions(column, 400, 600), ['top', 'bottom']);
});

test('the boxes picture is the upright photo, scaled down, with each box drawn in its own colour', async () => {
  // 2000 x 1000 grey, stored turned a quarter (EXIF 6): upright it is 1000 wide and 2000 high.
  const photo = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#808080' } })
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
  const boxes = [
    { x: 100, y: 200, width: 300, height: 400 },
    { x: 600, y: 1200, width: 300, height: 400 },
  ];
  const picture = await drawDogBoxes(photo, boxes, 1024);
  assert.equal(picture.width, 512);
  assert.equal(picture.height, 1024);
  const meta = await sharp(picture.png).metadata();
  assert.equal(meta.format, 'png');
  assert.equal(meta.width, 512);
  const { data, info } = await sharp(picture.png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => {
    const i = (Math.round(y) * info.width + Math.round(x)) * 3;
    return [data[i]!, data[i + 1]!, data[i + 2]!] as const;
  };
  // the first box's left edge (red), half-way down, and the second's (green); the middle of a box stays grey
  const [r1, g1] = at(51, 200);
  assert.ok(r1 > 200 && g1 < 100, `box 1 edge is red: ${at(51, 200).join(',')}`);
  const [r2, g2] = at(307, 700);
  assert.ok(g2 > 150 && r2 < 100, `box 2 edge is green: ${at(307, 700).join(',')}`);
  const inside = at(125, 250);
  assert.ok(
    inside.every((c) => Math.abs(c - 128) < 12),
    `inside box 1 is the photo: ${inside.join(',')}`,
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import {
  ImageRejectedError,
  inspectImage,
  prepareModelInput,
  sniffImage,
  DEFAULT_INPUT_SPEC,
  type ImageRejectionCode,
} from '../src/images/index.ts';
import { withJpegDimensions, withPngDimensions, withGifDimensions } from './rigs/crafted.ts';
import {
  animated,
  BLUE,
  GREEN,
  needsPhotos,
  pixelAt,
  readPhoto,
  realPhotoPaths,
  RED,
  solidPng,
  twoHalves,
} from './helpers/image-fixtures.ts';

const spec = DEFAULT_INPUT_SPEC;

async function rejection(promise: Promise<unknown>, code: ImageRejectionCode): Promise<ImageRejectedError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageRejectedError, `expected ImageRejectedError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.userMessage.length > 0 && error.userMessage.length < 200);
    return error;
  }
  assert.fail(`expected a rejection with code ${code}`);
}

/** Asserts the decoded colour at (x, y) is the expected one within JPEG/GIF rounding. */
function assertColour(data: Float32Array, x: number, y: number, rgb: { r: number; g: number; b: number }) {
  const got = pixelAt(data, spec.size, x, y);
  const want = [rgb.r, rgb.g, rgb.b].map((v) => v * spec.scale + spec.offset);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 0.15, `pixel (${x},${y}) = ${got} want ${want}`));
}

test(
  'real photos decode to size*size*3 floats within [-1, 1], with format, size and hash',
  { skip: needsPhotos },
  async () => {
    const files = realPhotoPaths(30);
    assert.ok(files.length >= 20);
    for (const file of files) {
      const bytes = readPhoto(file);
      const prepared = await prepareModelInput(bytes, spec);
      assert.equal(prepared.input.size, 224);
      assert.equal(prepared.input.data.length, 224 * 224 * 3);
      let min = Infinity;
      let max = -Infinity;
      for (const v of prepared.input.data) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      assert.ok(min >= -1 && max <= 1, `${file}: values in [${min}, ${max}]`);
      assert.ok(max - min > 0.5, `${file}: a photo has contrast`);
      assert.equal(prepared.format, 'jpeg');
      assert.equal(prepared.sha256, createHash('sha256').update(bytes).digest('hex'));
      const meta = await sharp(bytes).metadata();
      assert.equal(prepared.width * prepared.height, meta.width * meta.height);
    }
  },
);

test(
  'the same photo re-encoded as PNG, WebP, AVIF, TIFF and GIF is accepted and decodes alike',
  { skip: needsPhotos },
  async () => {
    const [file] = realPhotoPaths(1);
    const jpeg = readPhoto(file!);
    const reference = (await prepareModelInput(jpeg, spec)).input.data;
    const source = sharp(jpeg);
    const variants = {
      png: await source.clone().png().toBuffer(),
      webp: await source.clone().webp({ quality: 95 }).toBuffer(),
      avif: await source.clone().avif({ quality: 80 }).toBuffer(),
      tiff: await source.clone().tiff().toBuffer(),
      gif: await source.clone().gif().toBuffer(),
    };
    for (const [format, bytes] of Object.entries(variants)) {
      const prepared = await prepareModelInput(bytes, spec);
      assert.equal(prepared.format, format);
      let diff = 0;
      for (let i = 0; i < reference.length; i++) diff += Math.abs(reference[i]! - prepared.input.data[i]!);
      // Lossy re-encoding and GIF's 256-colour palette change pixels a little, not the picture.
      assert.ok(diff / reference.length < 0.12, `${format}: mean difference ${diff / reference.length}`);
    }
  },
);

test('a custom spec sets the output size and the normalisation', async () => {
  const png = await solidPng(300, 200, { r: 200, g: 100, b: 0 });
  const prepared = await prepareModelInput(png, { size: 32, scale: 1 / 255, offset: 0 });
  assert.equal(prepared.input.data.length, 32 * 32 * 3);
  const [r, g, b] = pixelAt(prepared.input.data, 32, 16, 16);
  assert.ok(Math.abs(r - 200 / 255) < 0.01 && Math.abs(g - 100 / 255) < 0.01 && Math.abs(b) < 0.01);
});

test('centre crop: a wide image keeps its middle, not squashed edges', async () => {
  // 600x200: red | blue | red thirds. 'cover' crops to the middle 200x200, which is all blue.
  const base = sharp({ create: { width: 600, height: 200, channels: 3, background: RED } });
  const middle = await solidPng(200, 200, BLUE);
  const png = await base
    .composite([{ input: Buffer.from(middle), left: 200, top: 0 }])
    .png()
    .toBuffer();
  const { input } = await prepareModelInput(png, spec);
  // Away from the crop edges, where the resampling kernel mixes in the red neighbours.
  assertColour(input.data, 10, 112, BLUE);
  assertColour(input.data, 213, 112, BLUE);
});

test('EXIF orientation is applied: a JPEG tagged "rotate 90° clockwise" comes out turned', async () => {
  // Stored 200x100 landscape, red left half, blue right half; orientation 6 means "turn 90° clockwise to view",
  // so the viewer sees a 100x200 portrait with red on top.
  const image = await twoHalves(200, 100, RED, BLUE);
  const tagged = await image.jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  assert.equal((await sharp(tagged).metadata()).orientation, 6);

  const info = await inspectImage(tagged);
  assert.deepEqual([info.width, info.height], [100, 200]);
  const { input } = await prepareModelInput(tagged, spec);
  assertColour(input.data, 112, 5, RED);
  assertColour(input.data, 112, 218, BLUE);

  const untagged = await (await twoHalves(200, 100, RED, BLUE)).jpeg({ quality: 95 }).toBuffer();
  const plain = await prepareModelInput(untagged, spec);
  assertColour(plain.input.data, 5, 112, RED);
  assertColour(plain.input.data, 218, 112, BLUE);
});

test('animated GIF and WebP: only the first frame is used', async () => {
  for (const format of ['gif', 'webp'] as const) {
    const bytes = await animated(format, [GREEN, RED, BLUE]);
    const meta = await sharp(bytes, { animated: true }).metadata();
    assert.equal(meta.pages, 3, `${format} really has 3 frames`);
    const prepared = await prepareModelInput(bytes, spec);
    assert.deepEqual([prepared.format, prepared.width, prepared.height], [format, 64, 64]);
    assertColour(prepared.input.data, 10, 10, GREEN);
    assertColour(prepared.input.data, 200, 200, GREEN);
  }
});

test('transparent PNG: alpha is flattened onto white, output stays RGB', async () => {
  const half = await sharp({
    create: { width: 50, height: 100, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 1 } },
  })
    .png()
    .toBuffer();
  const png = await sharp({
    create: { width: 100, height: 100, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
  })
    .composite([{ input: half, left: 50, top: 0 }])
    .png()
    .toBuffer();
  assert.equal((await sharp(png).metadata()).channels, 4);
  const { input } = await prepareModelInput(png, spec);
  assert.equal(input.data.length, 224 * 224 * 3);
  assertColour(input.data, 10, 112, { r: 255, g: 255, b: 255 });
  assertColour(input.data, 213, 112, BLUE);
});

test('greyscale and CMYK images come out as 3-channel RGB', async () => {
  const grey = await sharp({
    create: { width: 40, height: 40, channels: 3, background: { r: 128, g: 128, b: 128 } },
  })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  assert.equal((await sharp(grey).metadata()).channels, 1);
  const g = await prepareModelInput(grey, spec);
  assertColour(g.input.data, 100, 100, { r: 128, g: 128, b: 128 });

  const cmyk = await sharp({ create: { width: 40, height: 40, channels: 3, background: RED } })
    .toColourspace('cmyk')
    .jpeg()
    .toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const c = await prepareModelInput(cmyk, spec);
  assert.equal(c.input.data.length, 224 * 224 * 3);
  const [r, gg, b] = pixelAt(c.input.data, 224, 100, 100);
  assert.ok(r > gg + 0.5 && r > b + 0.5, `CMYK red stays reddish: ${[r, gg, b]}`);
});

test('pixel bombs are refused before decoding: PNG, JPEG and GIF headers declaring huge sizes', async () => {
  const small = await solidPng(16, 16, RED);
  const pngBomb = withPngDimensions(small, 20_000, 20_000);
  assert.ok(pngBomb.length < 1000, 'a few hundred bytes that claim 400 megapixels');
  const e = await rejection(prepareModelInput(pngBomb, spec), 'too_many_pixels');
  assert.equal(e.details.pixels, 400_000_000);
  assert.match(e.userMessage, /400 MP.*40 MP/);
  await rejection(inspectImage(pngBomb), 'too_many_pixels');

  const jpeg = await sharp(small).jpeg().toBuffer();
  await rejection(prepareModelInput(withJpegDimensions(jpeg, 65_000, 65_000), spec), 'too_many_pixels');

  const gif = await sharp(small).gif().toBuffer();
  await rejection(prepareModelInput(withGifDimensions(gif, 65_535, 65_535), spec), 'too_many_pixels');
});

test('a real large-dimension image (made by sharp, 9000x5000 = 45 MP) is refused by the 40 MP limit', async () => {
  const large = await sharp({
    create: { width: 9000, height: 5000, channels: 3, background: GREEN },
    limitInputPixels: false,
  })
    .png({ compressionLevel: 9 })
    .toBuffer();
  const e = await rejection(prepareModelInput(large, spec), 'too_many_pixels');
  assert.equal(e.details.pixels, 45_000_000);
  // A lower configured limit applies too, and a higher one lets it through.
  await rejection(
    prepareModelInput(await solidPng(2000, 1000, RED), spec, { maxPixels: 1_000_000 }),
    'too_many_pixels',
  );
  const ok = await prepareModelInput(large, { size: 8, scale: 1, offset: 0 }, { maxPixels: 50_000_000 });
  assert.deepEqual([ok.width, ok.height], [9000, 5000]);
});

test('a truncated JPEG is refused as corrupt', { skip: needsPhotos }, async () => {
  const [file] = realPhotoPaths(1);
  const jpeg = readPhoto(file!);
  for (const keep of [0.9, 0.5, 0.1]) {
    await rejection(prepareModelInput(jpeg.subarray(0, Math.floor(jpeg.length * keep)), spec), 'corrupt');
  }
  await rejection(prepareModelInput(jpeg.subarray(0, 3), spec), 'corrupt');
});

test('a truncated PNG is refused as corrupt', async () => {
  const png = await sharp({
    create: {
      width: 64,
      height: 64,
      channels: 3,
      background: RED,
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .png()
    .toBuffer();
  await rejection(prepareModelInput(png.subarray(0, Math.floor(png.length * 0.6)), spec), 'corrupt');
});

test('a text file named .jpg, HTML, and unknown bytes are not images', async () => {
  await rejection(
    prepareModelInput(new TextEncoder().encode('hello, this is dog.jpg, honest'), spec),
    'not_an_image',
  );
  await rejection(
    prepareModelInput(new TextEncoder().encode('<!DOCTYPE html><html><body>dog</body></html>'), spec),
    'not_an_image',
  );
  await rejection(prepareModelInput(new Uint8Array(1000).fill(7), spec), 'not_an_image');
  await rejection(inspectImage(new TextEncoder().encode('GIF')), 'not_an_image');
});

test('SVG is refused, plain, with an XML prolog, or after a byte-order mark', async () => {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
  for (const text of [svg, `<?xml version="1.0"?>\n${svg}`, `\uFEFF  \n${svg}`]) {
    await rejection(prepareModelInput(new TextEncoder().encode(text), spec), 'svg_refused');
  }
  // sharp itself would render it: the refusal is ours, by design.
  assert.equal((await sharp(Buffer.from(svg)).metadata()).format, 'svg');
});

test('formats sharp cannot decode here are named as unsupported', async () => {
  const bmp = new Uint8Array(64);
  bmp.set([0x42, 0x4d]);
  const e = await rejection(prepareModelInput(bmp, spec), 'unsupported_format');
  assert.match(e.userMessage, /BMP/);
  await rejection(prepareModelInput(new TextEncoder().encode('%PDF-1.7\n...'), spec), 'unsupported_format');
  const heic = new Uint8Array(32);
  heic.set(new TextEncoder().encode('\0\0\0\x18ftypheic\0\0\0\0mif1heic'));
  assert.deepEqual(sniffImage(heic), { kind: 'unsupported', format: 'HEIC' });
});

test('empty and over-the-byte-limit inputs are refused without decoding', async () => {
  await rejection(prepareModelInput(new Uint8Array(0), spec), 'empty');
  const png = await solidPng(100, 100, RED);
  const e = await rejection(prepareModelInput(png, spec, { maxBytes: png.length - 1 }), 'too_many_bytes');
  assert.equal(e.details.limit, png.length - 1);
  const big = new Uint8Array(21 * 1024 * 1024);
  big.set(png);
  await rejection(prepareModelInput(big, spec), 'too_many_bytes');
  await rejection(inspectImage(big), 'too_many_bytes');
});

test('a file that starts like a JPEG but is garbage is corrupt, not a crash', async () => {
  const fake = new Uint8Array(4096);
  fake.set([0xff, 0xd8, 0xff, 0xe0]);
  for (let i = 4; i < fake.length; i++) fake[i] = (i * 7919) % 251;
  await rejection(prepareModelInput(fake, spec), 'corrupt');
});

test('inspectImage reports format, oriented size and hash without decoding pixels', async () => {
  const png = await solidPng(123, 45, BLUE);
  const info = await inspectImage(png);
  assert.deepEqual(
    { format: info.format, width: info.width, height: info.height, bytes: info.bytes },
    { format: 'png', width: 123, height: 45, bytes: png.length },
  );
  assert.equal(info.sha256, createHash('sha256').update(png).digest('hex'));
});

test('user messages are short and never echo input', async () => {
  const hostile = new TextEncoder().encode(`@everyone ${'A'.repeat(10_000)}`);
  const e = await rejection(prepareModelInput(hostile, spec), 'not_an_image');
  assert.ok(!e.userMessage.includes('@everyone') && !e.userMessage.includes('AAAA'));
});

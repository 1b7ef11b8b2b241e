import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generateFuzzCases, runImageFuzz } from './rigs/fuzz.ts';
import { ImageRejectedError, prepareModelInput } from '../src/images/index.ts';
import { findJpegFrameHeader } from './rigs/crafted.ts';
import { needsPhotos } from './helpers/image-fixtures.ts';

const hashes = async (seed: number, count: number) => {
  const out: string[] = [];
  for await (const c of generateFuzzCases({ seed, count, basePhotos: 3 }))
    out.push(`${c.mutation}:${createHash('sha256').update(c.bytes).digest('hex')}`);
  return out;
};

test('fuzz cases are deterministic for a seed and differ between seeds', { skip: needsPhotos }, async () => {
  const a = await hashes(42, 40);
  assert.deepEqual(await hashes(42, 40), a);
  const b = await hashes(43, 40);
  assert.notDeepEqual(b, a);
  assert.ok(new Set(a).size > 30, 'cases are mostly distinct');
});

test(
  '200 mutated real photos: every one ends in a result or a clear error, none crash or hang',
  { skip: needsPhotos },
  async () => {
    const report = await runImageFuzz({ count: 200, seed: 20261123, perFileTimeoutMs: 15_000 });
    assert.equal(report.fuzzedImages, 200);
    assert.deepEqual(report.crashSamples, []);
    assert.equal(report.crashes, 0);
    assert.equal(report.hangs, 0);
    assert.equal(report.results + report.clearErrors, 200);
    // The mix is real: some damage is survivable, most of the hostile kinds are refused with the right reason.
    assert.ok(report.results > 20, `results ${report.results}`);
    for (const code of ['corrupt', 'too_many_pixels', 'not_an_image']) {
      assert.ok(
        (report.errorCodes[code] ?? 0) > 0,
        `expected some ${code}: ${JSON.stringify(report.errorCodes)}`,
      );
    }
    assert.equal(Object.keys(report.mutations).length, 21);
    // Memory comes back: libvips keeps a small operation cache, nothing grows per file.
    assert.ok(
      report.rssAfterMb - report.rssBeforeMb < 200,
      `RSS ${report.rssBeforeMb} -> ${report.rssAfterMb} MB`,
    );
  },
);

/** The width and height a crafted PNG or JPEG header declares. */
function declaredSize(bytes: Uint8Array, mutation: string): [number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (mutation === 'huge-png') return [view.getUint32(16), view.getUint32(20)];
  const sof = findJpegFrameHeader(bytes);
  return [view.getUint16(sof + 7), view.getUint16(sof + 5)];
}

test('replaying single hostile cases gives the expected refusals', { skip: needsPhotos }, async () => {
  const seen = new Set<string>();
  for await (const c of generateFuzzCases({ seed: 7, count: 210 })) {
    let allowed: string[];
    if (c.mutation === 'huge-png' || c.mutation === 'huge-jpeg') {
      // Declared bombs are refused on the header; small or zero declared sizes no longer match the data.
      const [w, h] = declaredSize(c.bytes, c.mutation);
      if (Math.max(w, h) > 65_500)
        allowed = ['too_many_pixels', 'corrupt']; // past what the decoders accept at all
      else if (w * h > 40_000_000) allowed = ['too_many_pixels'];
      else allowed = ['corrupt', 'result'];
    } else if (c.mutation === 'html-then-image') {
      allowed = ['not_an_image'];
    } else if (c.mutation === 'tiny-files') {
      allowed = ['empty', 'corrupt', 'not_an_image'];
    } else {
      continue;
    }
    seen.add(c.mutation);
    const outcome = await prepareModelInput(c.bytes).then(
      () => 'result',
      (e: unknown) => {
        assert.ok(e instanceof ImageRejectedError, `${c.mutation}: ${String(e)}`);
        return e.code;
      },
    );
    assert.ok(allowed.includes(outcome), `${c.mutation} #${c.index}: ${outcome}, expected one of ${allowed}`);
  }
  assert.equal(seen.size, 4);
});

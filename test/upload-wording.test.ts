/** Refusals of an uploaded file say "file", never "link" (issue 14 §4); links keep their own wording. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asUploadRefusal, ImageRejectedError, UrlRefusedError } from '../src/images/errors.ts';
import { requireImageFormat } from '../src/images/sniff.ts';

/** The refusal the URL intake gives for these bytes (it wraps the sniffer's own rejection). */
function intakeRefusal(bytes: Uint8Array): UrlRefusedError {
  try {
    requireImageFormat(bytes);
  } catch (error) {
    assert.ok(error instanceof ImageRejectedError);
    return new UrlRefusedError('not_an_image', { reason: error.code }, { cause: error });
  }
  throw new Error('these bytes were accepted as an image');
}

test('what is wrong with the uploaded file itself is worded as for a local file', () => {
  const text = intakeRefusal(new TextEncoder().encode('shopping list, not a photo '.repeat(4)));
  assert.match(text.userMessage, /^The link didn't lead/);
  assert.match(
    asUploadRefusal(text).userMessage,
    /^That file isn't an image I can read \(I accept JPEG, PNG/,
  );
  const svg = intakeRefusal(
    new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"></svg>'.repeat(2)),
  );
  assert.match(asUploadRefusal(svg).userMessage, /^SVG and other vector/);
  const big = asUploadRefusal(new UrlRefusedError('too_many_bytes', { limit: 20 * 1024 * 1024 }));
  assert.ok(big instanceof ImageRejectedError);
  assert.equal(big.userMessage, 'That image is too large; the limit is 20 MB.');
});

test('a failed download of an upload says so without talking about links', () => {
  for (const refusal of [
    new UrlRefusedError('unreachable', { reason: 'ECONNRESET' }),
    new UrlRefusedError('timeout', { limit: 10_000 }),
    new UrlRefusedError('http_status', { status: 503 }),
  ]) {
    const worded = asUploadRefusal(refusal).userMessage;
    assert.match(worded, /^I couldn't download that file from Discord/);
    assert.doesNotMatch(worded, /link/);
  }
  assert.match(asUploadRefusal(new UrlRefusedError('http_status', { status: 503 })).userMessage, /HTTP 503/);
});

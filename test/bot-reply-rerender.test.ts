import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_REPLIES_RERENDERED, notRerenderedNote } from '../src/discord/reply-rerender.ts';

test('the purge and /forget answers mention replies beyond the re-render cap, and only those', () => {
  assert.equal(notRerenderedNote(0), '');
  assert.equal(notRerenderedNote(MAX_REPLIES_RERENDERED), '');
  assert.equal(
    notRerenderedNote(MAX_REPLIES_RERENDERED + 1),
    '1 older reply will show the change at its next vote.',
  );
  assert.equal(
    notRerenderedNote(MAX_REPLIES_RERENDERED + 7),
    '7 older replies will show the change at their next vote.',
  );
});

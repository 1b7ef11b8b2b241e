// /forget's words live in the Discord adapter (storage returns counts): moved here from storage.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keptLines } from '../src/discord/forget-answer.ts';

test("/forget says which images stay for other people, and that Discord messages are Discord's", () => {
  const shared = keptLines({ imagesKept: 2 });
  assert.ok(shared.some((k) => k.includes('other people') && k.startsWith('2 image')));
  assert.ok(shared.some((k) => k.includes("Discord's to delete")));
  assert.ok(!keptLines({ imagesKept: 0 }).some((k) => k.includes('other people')));
});

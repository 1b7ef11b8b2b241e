import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Resources } from '../src/runtime/resources.ts';

test('resources close newest first, every one even when one fails, and the first failure is reported', async () => {
  const resources = new Resources();
  const closed: string[] = [];
  resources.add('database', 'db', (name) => void closed.push(name));
  resources.add('model', 'model', () => {
    closed.push('model');
    throw new Error('model would not close');
  });
  resources.add('bot', 'bot', async (name) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    closed.push(name);
  });
  await assert.rejects(resources.close(), /model would not close/);
  assert.deepEqual(closed, ['bot', 'model', 'db']);
  await assert.rejects(resources.close(), /model would not close/, 'a second close is the same close');
  assert.deepEqual(closed, ['bot', 'model', 'db'], 'nothing is closed twice');
});

test('a start-up that fails halfway closes what it had opened and reports the start-up error', async () => {
  const resources = new Resources();
  const closed: string[] = [];
  await assert.rejects(
    resources.build(async () => {
      resources.add('database', 'db', (name) => void closed.push(name));
      resources.add('model', 'model', (name) => void closed.push(name));
      throw new Error('Redis is not reachable');
    }),
    /Redis is not reachable/,
  );
  assert.deepEqual(closed, ['model', 'db']);
});

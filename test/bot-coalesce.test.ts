/** Re-renders of one reply never overlap, and a request made during a run is honoured by a later run. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { KeyedCoalescer } from '../src/discord/coalesce.ts';

test('runs per key never overlap; the last run starts after the last request', async () => {
  const coalescer = new KeyedCoalescer();
  let state = 0;
  let active = 0;
  let maxActive = 0;
  const seen: number[] = [];
  const render = async () => {
    active++;
    maxActive = Math.max(maxActive, active);
    const snapshot = state;
    await sleep(5);
    seen.push(snapshot);
    active--;
  };
  const requests: Promise<void>[] = [];
  for (let i = 1; i <= 20; i++) {
    state = i;
    requests.push(coalescer.run('message-1', render));
    await sleep(1);
  }
  await Promise.all(requests);
  assert.equal(maxActive, 1, 'never two renders of one message at once');
  assert.equal(seen.at(-1), 20, 'the final render saw the latest state');
  assert.ok(seen.length < 20, `requests were coalesced (${seen.length} renders for 20 votes)`);
});

test('different keys run independently and a failure reaches the waiting callers', async () => {
  const coalescer = new KeyedCoalescer();
  const order: string[] = [];
  await Promise.all([
    coalescer.run('a', async () => {
      await sleep(10);
      order.push('a');
    }),
    coalescer.run('b', async () => {
      order.push('b');
    }),
  ]);
  assert.deepEqual(order, ['b', 'a']);
  await assert.rejects(
    coalescer.run('c', async () => {
      throw new Error('edit refused');
    }),
    /edit refused/,
  );
  let ran = false;
  await coalescer.run('c', async () => {
    ran = true;
  });
  assert.ok(ran, 'a key is usable again after a failure');
});

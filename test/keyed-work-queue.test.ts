/** KeyedWorkQueue: a concurrency bound across keys, arrival order within a key, failures not blocking a key. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedWorkQueue } from '../src/discord/keyed-work-queue.ts';

test('never runs more than the limit at once, and every job runs', async () => {
  const queue = new KeyedWorkQueue(3);
  let running = 0;
  let most = 0;
  const done: number[] = [];
  await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      queue.run(`key${i % 7}`, async () => {
        running++;
        most = Math.max(most, running);
        await sleep(1 + (i % 3));
        running--;
        done.push(i);
      }),
    ),
  );
  assert.equal(most, 3);
  assert.equal(done.length, 40);
});

test('jobs with one key run one after another in arrival order', async () => {
  const queue = new KeyedWorkQueue(8);
  const order: string[] = [];
  const job = (name: string, ms: number) => () =>
    sleep(ms).then(() => {
      order.push(name);
    });
  await Promise.all([
    queue.run('a', job('a1', 20)),
    queue.run('b', job('b1', 1)),
    queue.run('a', job('a2', 1)),
    queue.run('a', job('a3', 5)),
  ]);
  assert.deepEqual(
    order.filter((n) => n.startsWith('a')),
    ['a1', 'a2', 'a3'],
  );
  assert.equal(order[0], 'b1', 'another key does not wait for a slow one');
});

test('a failing job rejects its own promise and the next job with its key still runs', async () => {
  const queue = new KeyedWorkQueue(1);
  const first = queue.run('k', () => Promise.reject(new Error('boom')));
  const second = queue.run('k', () => Promise.resolve('ran'));
  await assert.rejects(first, /boom/);
  assert.equal(await second, 'ran');
});

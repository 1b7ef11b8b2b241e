import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BatcherClosedError, BusyError, MicroBatcher } from '../src/model/inference/batcher.ts';

/** A batch runner that records each batch and doubles numbers; `bad` items make the batch holding them fail. */
function recordingRunner(options: { bad?: Set<number>; delayMs?: number } = {}) {
  const batches: number[][] = [];
  let running = 0;
  let maxRunning = 0;
  const run = async (items: number[]) => {
    batches.push([...items]);
    running++;
    maxRunning = Math.max(maxRunning, running);
    try {
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 1));
      const bad = items.find((i) => options.bad?.has(i));
      if (bad !== undefined) throw new Error(`item ${bad} is poisoned`);
      return items.map((i) => i * 2);
    } finally {
      running--;
    }
  };
  return { run, batches, maxRunning: () => maxRunning };
}

describe('MicroBatcher', () => {
  test('concurrent submissions share one batch and each caller gets its own result', async () => {
    const r = recordingRunner();
    const batcher = new MicroBatcher({ run: r.run, maxBatch: 16, maxWaitMs: 20, maxQueue: 100 });
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => batcher.submit(i)));
    assert.deepEqual(results, [2, 4, 6, 8, 10]);
    assert.deepEqual(r.batches, [[1, 2, 3, 4, 5]]);
  });

  test('a full batch leaves at once and the rest follows in order, never above maxBatch', async () => {
    const r = recordingRunner();
    const batcher = new MicroBatcher({ run: r.run, maxBatch: 4, maxWaitMs: 10_000, maxQueue: 100 });
    const items = Array.from({ length: 8 }, (_, i) => i);
    // maxWaitMs is huge: only "batch is full" can have sent these.
    const results = await Promise.all(items.map((i) => batcher.submit(i)));
    assert.deepEqual(
      results,
      items.map((i) => i * 2),
    );
    assert.deepEqual(r.batches, [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  test('a lone item is sent after maxWaitMs without waiting for company', async () => {
    const r = recordingRunner();
    const batcher = new MicroBatcher({ run: r.run, maxBatch: 16, maxWaitMs: 2, maxQueue: 10 });
    assert.equal(await batcher.submit(21), 42);
    assert.deepEqual(r.batches, [[21]]);
  });

  test('items that arrive while the runner is busy gather into the next batch; concurrency is respected', async () => {
    const r = recordingRunner({ delayMs: 30 });
    const batcher = new MicroBatcher({
      run: r.run,
      maxBatch: 16,
      maxWaitMs: 1,
      maxQueue: 100,
      concurrency: 1,
    });
    const first = batcher.submit(0);
    await new Promise((resolve) => setTimeout(resolve, 10)); // batch [0] is now running
    const rest = [1, 2, 3, 4].map((i) => batcher.submit(i));
    assert.deepEqual(await Promise.all([first, ...rest]), [0, 2, 4, 6, 8]);
    assert.deepEqual(r.batches, [[0], [1, 2, 3, 4]]);
    assert.equal(r.maxRunning(), 1);
  });

  test('with concurrency 2 two batches run at the same time', async () => {
    const r = recordingRunner({ delayMs: 20 });
    const batcher = new MicroBatcher({
      run: r.run,
      maxBatch: 2,
      maxWaitMs: 1,
      maxQueue: 100,
      concurrency: 2,
    });
    await Promise.all([1, 2, 3, 4, 5, 6].map((i) => batcher.submit(i)));
    assert.equal(r.maxRunning(), 2);
    assert.equal(batcher.stats.largestBatch, 2);
    assert.equal(batcher.stats.items, 6);
  });

  test('a failing item fails alone: the batch is split and unrelated requests succeed', async () => {
    const r = recordingRunner({ bad: new Set([3]) });
    const batcher = new MicroBatcher({ run: r.run, maxBatch: 8, maxWaitMs: 5, maxQueue: 100 });
    const settled = await Promise.allSettled([1, 2, 3, 4, 5, 6].map((i) => batcher.submit(i)));
    const values = settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message));
    assert.deepEqual(values, [2, 4, 'item 3 is poisoned', 8, 10, 12]);
    assert.deepEqual(r.batches[0], [1, 2, 3, 4, 5, 6]);
  });

  test('errors the runner marks as fatal are not retried item by item', async () => {
    let calls = 0;
    const batcher = new MicroBatcher<number, number>({
      run: async () => {
        calls++;
        throw new Error('engine gone');
      },
      maxBatch: 8,
      maxWaitMs: 1,
      maxQueue: 100,
      splitOnError: () => false,
    });
    const settled = await Promise.allSettled([1, 2, 3, 4].map((i) => batcher.submit(i)));
    assert.ok(settled.every((s) => s.status === 'rejected' && (s.reason as Error).message === 'engine gone'));
    assert.equal(calls, 1);
  });

  test('a runner that returns the wrong number of results is an error for its items', async () => {
    const batcher = new MicroBatcher<number, number>({
      run: async (items) => items.slice(1),
      maxBatch: 8,
      maxWaitMs: 1,
      maxQueue: 10,
      splitOnError: () => false,
    });
    await assert.rejects(
      Promise.all([batcher.submit(1), batcher.submit(2)]),
      /batch of 2 produced 1 results/,
    );
  });

  test('a full queue refuses new work at once with a BusyError; accepted work still completes', async () => {
    const r = recordingRunner({ delayMs: 20 });
    const batcher = new MicroBatcher({ run: r.run, maxBatch: 2, maxWaitMs: 1, maxQueue: 3, concurrency: 1 });
    const accepted = [1, 2, 3, 4, 5].map((i) => batcher.submit(i));
    // Items 1 and 2 left as a full batch; 3, 4, 5 fill the queue of 3.
    const refused = batcher.submit(6);
    await assert.rejects(refused, (err: unknown) => {
      assert.ok(err instanceof BusyError);
      assert.equal(err.code, 'busy');
      assert.match(err.message, /busy/);
      return true;
    });
    await assert.rejects(batcher.submitAll([7, 8]), BusyError);
    assert.deepEqual(await Promise.all(accepted), [2, 4, 6, 8, 10]);
    // Once the queue drained, work is accepted again.
    assert.equal(await batcher.submit(9), 18);
  });

  test('close() finishes what was accepted and refuses the rest', async () => {
    const r = recordingRunner({ delayMs: 10 });
    const batcher = new MicroBatcher({ run: r.run, maxBatch: 4, maxWaitMs: 10_000, maxQueue: 10 });
    const pending = [1, 2].map((i) => batcher.submit(i));
    await batcher.close();
    assert.deepEqual(await Promise.all(pending), [2, 4]);
    await assert.rejects(batcher.submit(3), BatcherClosedError);
  });

  test('bad settings are refused', () => {
    const run = async (items: number[]) => items;
    assert.throws(() => new MicroBatcher({ run, maxBatch: 0, maxWaitMs: 1, maxQueue: 1 }), RangeError);
    assert.throws(() => new MicroBatcher({ run, maxBatch: 1, maxWaitMs: -1, maxQueue: 1 }), RangeError);
    assert.throws(
      () => new MicroBatcher({ run, maxBatch: 1, maxWaitMs: 1, maxQueue: 1, concurrency: 0 }),
      RangeError,
    );
  });
});

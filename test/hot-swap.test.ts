import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/model/backend.ts';
import { ModelHolder } from '../src/model/hot-swap.ts';

/** A head held as tfjs tensors, the kind of model whose memory a swap must free (after its last user). */
interface TensorHead {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

function tensorHead(value: number): TensorHead {
  return { kernel: tf.fill([8, 4], value) as tf.Tensor2D, bias: tf.zeros([4]) as tf.Tensor1D };
}

/** A "classification": async, yields to the event loop, and reads the lease's tensors at the end. */
async function classify(head: TensorHead): Promise<number> {
  const logits = tf.tidy(() => tf.ones([1, 8]).matMul(head.kernel).add(head.bias));
  await new Promise((r) => setTimeout(r, Math.random() * 4));
  const [first] = await logits.data();
  logits.dispose();
  return first! / 8; // = the head's fill value
}

test('swapping under hundreds of concurrent requests: none fails, each finishes on the head it started with', async () => {
  await selectBackend('cpu');
  const memoryBefore = tf.memory().numTensors;
  const disposed: string[] = [];
  const holder = new ModelHolder<TensorHead>(tensorHead(0), 'v0', {
    dispose: (head, version) => {
      tf.dispose([head.kernel, head.bias]);
      disposed.push(version);
    },
  });
  const outcomes: { version: string; value: number }[] = [];
  const failures: unknown[] = [];
  const requests: Promise<void>[] = [];
  const retirements: Promise<void>[] = [];
  for (let i = 0; i < 600; i++) {
    requests.push(
      holder
        .use(async (head, version) => {
          outcomes.push({ version, value: await classify(head) });
        })
        .catch((err: unknown) => {
          failures.push(err);
        }),
    );
    if (i % 100 === 50) {
      const next = i / 100 + 0.5;
      retirements.push(holder.swap(tensorHead(Math.ceil(next)), `v${Math.ceil(next)}`));
    }
    if (i % 7 === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(requests);
  await Promise.all(retirements);

  assert.deepEqual(failures, []);
  assert.equal(outcomes.length, 600);
  for (const o of outcomes) assert.equal(`v${o.value}`, o.version, 'a request saw another version’s weights');
  assert.deepEqual(
    new Set(outcomes.map((o) => o.version)),
    new Set(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6']),
  );
  assert.deepEqual(disposed, ['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
  assert.equal(holder.version, 'v6');

  await holder.close();
  assert.equal(tf.memory().numTensors, memoryBefore, 'tensors leaked across swaps');
});

test('a retired head is disposed only after its last lease is released', async () => {
  await selectBackend('cpu');
  const events: string[] = [];
  const holder = new ModelHolder<TensorHead>(tensorHead(1), 'old', {
    dispose: (head, version) => {
      tf.dispose([head.kernel, head.bias]);
      events.push(`disposed ${version}`);
    },
  });
  const lease = holder.acquire();
  const retired = holder.swap(tensorHead(2), 'new');
  const newLease = holder.acquire();
  assert.equal(newLease.version, 'new', 'new requests get the new head at once');
  newLease.release();
  // the old lease still works on its (not yet freed) tensors
  assert.equal(await classify(lease.model), 1);
  assert.deepEqual(events, []);
  lease.release();
  lease.release(); // idempotent
  await retired;
  assert.deepEqual(events, ['disposed old']);
  assert.equal(lease.model.kernel.isDisposed, true);
  await holder.close();
  assert.deepEqual(events, ['disposed old', 'disposed new']);
  await assert.rejects(holder.use(() => 1), /closed/);
});

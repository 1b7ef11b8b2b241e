/**
 * The training queue and the model broadcast on a real Redis (issue 6 §4): BullMQ jobs run once, one at a
 * time across producers, with progress and failures reaching whoever asked; pub/sub reaches every subscriber.
 * The runner here is a gate the test opens, so "while it runs" is a fact and not a race; the real
 * LearningLoop behind the queue is exercised in scale-follow.test.ts and e2e-shards.test.ts.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { isUserFacing } from '../src/refusals.ts';
import type { TrainingOutcome, TrainingProgress } from '../src/features/training/types.ts';
import { BullTrainingQueue, startTrainingWorker, type TrainingWorker } from '../src/scale/bullmq-queue.ts';
import {
  InProcessModelBroadcast,
  RedisModelBroadcast,
  type ModelActivated,
} from '../src/scale/model-broadcast.ts';
import { queuedTrainingControl } from '../src/scale/training-control.ts';
import {
  announcingRunner,
  InProcessTrainingQueue,
  TrainingJobFailedError,
  type TrainingQueue,
  type TrainingRequest,
  type TrainingRunner,
} from '../src/scale/training-queue.ts';
import { dropPrefix, freshPrefix, redisSkipReason, TEST_REDIS_URL } from './scale-redis.ts';

/** A runner that reports 25%, waits for `release()`, reports 75% and answers (or throws `failWith`). */
function gatedRunner() {
  const runs: TrainingRequest[] = [];
  let release!: () => void;
  let started!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  let running = new Promise<void>((r) => (started = r));
  let failWith: string | null = null;
  const runner: TrainingRunner = async (request, onProgress) => {
    runs.push(request);
    onProgress({ fraction: 0.25, epoch: 1, epochs: 4 });
    started();
    await gate;
    onProgress({ fraction: 0.75, epoch: 3, epochs: 4 });
    if (failWith) throw new Error(failWith);
    return { status: 'promoted', version: `v20261123-120000-${String(runs.length).padStart(4, '0')}` };
  };
  return {
    runner,
    runs,
    /** Resolves once a run reported its first progress. */
    started: () => running,
    release: () => release(),
    rearm(fail: string | null = null) {
      failWith = fail;
      gate = new Promise<void>((r) => (release = r));
      running = new Promise<void>((r) => (started = r));
    },
  };
}

async function waitFor<T>(probe: () => T | undefined | null | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const alice: TrainingRequest = { requestedBy: 'alice', guildId: '1' };
const bob: TrainingRequest = { requestedBy: 'bob', guildId: '2' };

describe('BullMQ training queue on Redis', { skip: redisSkipReason }, () => {
  const prefix = freshPrefix('queue');
  const gated = gatedRunner();
  const closing: { close(): Promise<void> }[] = [];
  let shard0: BullTrainingQueue;
  let shard1: BullTrainingQueue;
  let worker: TrainingWorker;

  after(async () => {
    for (const c of closing.reverse()) await c.close();
    await dropPrefix(prefix);
  });

  test('a job runs once in the trainer; its progress reaches the shard that asked and the other shard', async () => {
    shard0 = await BullTrainingQueue.open({ redisUrl: TEST_REDIS_URL, prefix });
    shard1 = await BullTrainingQueue.open({ redisUrl: TEST_REDIS_URL, prefix });
    worker = await startTrainingWorker({ redisUrl: TEST_REDIS_URL, prefix, runner: gated.runner });
    closing.push(shard0, shard1, worker);

    const seen: TrainingProgress[] = [];
    const submission = await shard0.submit(alice, (p) => seen.push(p));
    assert.equal(submission.accepted, true);
    await gated.started();
    await waitFor(() => shard1.current()?.fraction === 0.25);
    await waitFor(() => seen.some((p) => p.fraction === 0.25));
    gated.release();
    const outcome = await (submission as { outcome: Promise<TrainingOutcome> }).outcome;

    assert.equal(outcome.status, 'promoted');
    assert.deepEqual(gated.runs, [alice], 'ran exactly once, with the request it was given');
    assert.ok(
      seen.some((p) => p.fraction === 0.75 && p.epoch === 3),
      JSON.stringify(seen),
    );
    await waitFor(() => shard1.current() === null);
    const counts = await shard0.counts();
    assert.equal(counts.completed, 1);
    assert.equal(counts.active, 0);
  });

  test('while a job runs, a second /retrain from another shard is told "already training" with its progress', async () => {
    gated.rearm();
    const first = await shard0.submit(alice);
    assert.ok(first.accepted);
    await gated.started();
    await waitFor(() => shard1.current()?.fraction === 0.25);

    const second = await shard1.submit(bob);
    assert.equal(second.accepted, false);
    assert.equal(second.jobId, first.jobId);
    assert.equal((second as { progress: TrainingProgress }).progress.fraction, 0.25);

    // Through the bot's port: the moderator reads the refusal.
    const control = queuedTrainingControl(shard1, async () => ({ activeVersion: 'unused' }));
    await assert.rejects(control.retrain({ requestedBy: 'bob', guildId: '2' }), (err: unknown) => {
      assert.ok(isUserFacing(err));
      assert.equal(err.userMessage, 'Already training, 25% done.');
      return true;
    });
    await assert.rejects(control.rollback('v20261123-120000-0001', 'bob'), /training is running/);

    gated.release();
    assert.equal((await first.outcome).status, 'promoted');
    assert.equal(gated.runs.length, 2, 'the refused requests started nothing');

    // Once it finished, the next request runs.
    gated.rearm();
    const third = await shard1.submit(bob);
    assert.ok(third.accepted);
    gated.release();
    assert.equal((await third.outcome).status, 'promoted');
    assert.deepEqual(gated.runs.at(-1), bob);
  });

  test('a failing job reaches the shard as a readable refusal; nothing is announced; the queue is free again', async () => {
    const broadcast = new RedisModelBroadcast(TEST_REDIS_URL, prefix);
    const listener = new RedisModelBroadcast(TEST_REDIS_URL, prefix);
    closing.push(broadcast, listener);
    const heard: ModelActivated[] = [];
    await listener.subscribe((e) => heard.push(e));
    // A trainer that announces promotions, like `npm run trainer`.
    await worker.close();
    const failing = gatedRunner();
    failing.rearm('training worker exited (code 1) before finishing. The current model keeps serving.');
    worker = await startTrainingWorker({
      redisUrl: TEST_REDIS_URL,
      prefix,
      runner: announcingRunner(failing.runner, broadcast),
    });
    closing.push(worker);

    const control = queuedTrainingControl(shard0, async () => ({ activeVersion: 'unused' }));
    const refusal = control.retrain({ requestedBy: 'alice', guildId: '1' });
    await failing.started();
    failing.release();
    await assert.rejects(refusal, (err: unknown) => {
      assert.ok(isUserFacing(err));
      assert.match(err.userMessage, /^Training failed: training worker exited .*keeps serving\.$/);
      return true;
    });
    const counts = await shard0.counts();
    assert.equal(counts.failed, 1);
    assert.equal(failing.runs.length, 1, 'a failed training is not retried');

    // The next request is accepted (the one-at-a-time lock went with the failed job) and announced.
    failing.rearm();
    const next = await shard1.submit(bob);
    assert.ok(next.accepted);
    failing.release();
    const outcome = await next.outcome;
    await waitFor(() => heard.length === 1);
    assert.equal(heard[0]!.version, outcome.version);
    assert.equal(heard[0]!.cause, 'promoted');
  });

  test('with no trainer up, /retrain stops waiting with a clear message; the job waits in Redis for the next trainer', async () => {
    await worker.close();
    const later = gatedRunner();
    const control = queuedTrainingControl(shard0, async () => ({ activeVersion: 'unused' }), { waitMs: 300 });
    await assert.rejects(control.retrain({ requestedBy: 'carol', guildId: '1' }), (err: unknown) => {
      assert.ok(isUserFacing(err));
      assert.match(err.userMessage, /still queued or running .*\/model info/);
      return true;
    });
    assert.equal((await shard0.counts()).waiting, 1);
    assert.equal(
      (await shard1.submit(bob)).accepted,
      false,
      'the queued job still holds the one-at-a-time lock',
    );

    worker = await startTrainingWorker({ redisUrl: TEST_REDIS_URL, prefix, runner: later.runner });
    closing.push(worker);
    await later.started();
    later.release();
    await waitFor(() => later.runs.length === 1 && shard1.current() === null);
    assert.equal(later.runs[0]!.requestedBy, 'carol');
  });

  test('a promotion broadcast reaches every subscriber; a malformed message is ignored', async () => {
    const publisher = new RedisModelBroadcast(TEST_REDIS_URL, prefix);
    const a = new RedisModelBroadcast(TEST_REDIS_URL, prefix);
    const b = new RedisModelBroadcast(TEST_REDIS_URL, prefix);
    const elsewhere = new RedisModelBroadcast(TEST_REDIS_URL, `${prefix}-other`);
    closing.push(publisher, a, b, elsewhere);
    const got: Record<string, string[]> = { a: [], b: [], elsewhere: [] };
    await a.subscribe((e) => got.a!.push(e.version));
    await b.subscribe((e) => got.b!.push(e.version));
    await elsewhere.subscribe((e) => got.elsewhere!.push(e.version));

    const raw = new (await import('ioredis')).Redis(TEST_REDIS_URL);
    await raw.publish(publisher.channel, '{"version": 42}');
    await raw.publish(publisher.channel, 'not json');
    raw.disconnect();
    await publisher.publish({
      version: 'v20261123-130000-abcd',
      cause: 'rollback',
      at: new Date().toISOString(),
    });

    await waitFor(() => got.a!.length === 1 && got.b!.length === 1);
    assert.deepEqual(got.a, ['v20261123-130000-abcd']);
    assert.deepEqual(got.b, ['v20261123-130000-abcd']);
    assert.deepEqual(got.elsewhere, [], 'another prefix is another deployment');
  });
});

describe('in-process training queue (no REDIS_URL)', () => {
  test('one training at a time, progress, failures and the in-process broadcast', async () => {
    const gated = gatedRunner();
    const broadcast = new InProcessModelBroadcast();
    const heard: string[] = [];
    await broadcast.subscribe((e) => heard.push(e.version));
    const queue: TrainingQueue = new InProcessTrainingQueue(announcingRunner(gated.runner, broadcast));
    assert.equal(queue.current(), null);

    const first = await queue.submit(alice);
    assert.ok(first.accepted);
    await gated.started();
    assert.equal(queue.current()?.fraction, 0.25);
    const second = await queue.submit(bob);
    assert.equal(second.accepted, false);
    gated.release();
    const outcome = await first.outcome;
    assert.deepEqual(heard, [outcome.version]);
    assert.equal(queue.current(), null);
    assert.equal(gated.runs.length, 1);

    gated.rearm('boom');
    const failing = await queue.submit(bob);
    assert.ok(failing.accepted);
    gated.release();
    await assert.rejects(
      failing.outcome,
      (e: unknown) => e instanceof TrainingJobFailedError && e.reason === 'boom',
    );
    assert.equal(heard.length, 1, 'a failure announces nothing');
    assert.equal(queue.current(), null);
  });
});

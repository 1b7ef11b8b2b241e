/**
 * `npm run trainer`: the training worker of the scale-out shape. Takes /retrain jobs from the BullMQ queue on
 * REDIS_URL one at a time, runs the LearningLoop (dataset from the shared database, training in a worker
 * thread on the best tfjs engine here, GPU with tfjs-node-gpu, evaluation, version recorded), and when a
 * candidate is promoted broadcasts it so every shard swaps it in. Run it on the GPU host; see docs/deployment.md.
 */
import path from 'node:path';
import { loadModelGateway } from './app/model-gateway.ts';
import { loadConfig } from './config.ts';
import { openDatabase } from './labels/database.ts';
import { redact } from './labels/database-url.ts';
import { activeModelVersion } from './labels/model-versions.ts';
import { startLearning } from './learning/index.ts';
import { log } from './log.ts';
import { BullTrainingQueue, startTrainingWorker } from './scale/bullmq-queue.ts';
import { learningLoopRunner } from './scale/learning-runner.ts';
import { RedisModelBroadcast } from './scale/model-broadcast.ts';
import { ModelFollower } from './scale/model-follower.ts';
import { probeRedis } from './scale/redis.ts';
import { assertScaleOutConfig } from './scale/requirements.ts';
import { scheduleQueuedRetraining } from './scale/queued-schedule.ts';
import { onShutdownSignal } from './scale/shutdown.ts';
import { announcingRunner } from './scale/training-queue.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  assertScaleOutConfig(config, 'trainer');
  const redisProblem = await probeRedis(config.REDIS_URL);
  if (redisProblem) throw new Error(redisProblem);

  const db = await openDatabase(config.DATABASE_URL, { imagesDir: path.join(config.dataDir, 'images') });
  const model = await loadModelGateway(config, (await activeModelVersion(db))?.id ?? null).catch(
    async (err: unknown) => {
      await db.close();
      throw err;
    },
  );
  const broadcast = new RedisModelBroadcast(config.REDIS_URL, config.REDIS_PREFIX);
  const learning = startLearning({ db, model }, config, { schedule: false });
  // Training starts from the active head: follow rollbacks made on the shards.
  const follower = new ModelFollower({
    syncWithDatabase: () => learning.loop.syncWithDatabase(),
    broadcast,
    pollIntervalMs: config.MODEL_SYNC_INTERVAL_S * 1000,
  });
  await follower.start();
  const runner = learningLoopRunner(learning.loop, { beforeEach: () => follower.sync() });
  const worker = await startTrainingWorker({
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    runner: announcingRunner(runner, broadcast),
  });
  // The schedule enqueues like a moderator would, so it never overlaps a /retrain.
  const queue = await BullTrainingQueue.open({ redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX });
  const schedule = scheduleQueuedRetraining(learning.loop, queue, {
    cron: config.RETRAIN_CRON,
    minNewLabels: config.RETRAIN_MIN_NEW_LABELS,
  });

  console.log(
    `breedbot trainer: waiting for /retrain jobs on ${redact(config.REDIS_URL)} (prefix ${config.REDIS_PREFIX}) · ` +
      `model backend ${model.backend} · database ${redact(config.DATABASE_URL)} · Ctrl+C to stop`,
  );
  onShutdownSignal('trainer', async () => {
    // The job in hand finishes first (a second Ctrl+C abandons it: BullMQ hands it to the next trainer).
    await schedule.stop();
    await worker.close();
    await queue.close();
    await learning.close();
    await follower.close();
    await broadcast.close();
    await model.dispose();
    await db.close();
  });
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'breedbot trainer could not start');
  console.error(`breedbot trainer could not start: ${(err as Error).message}`);
  process.exit(1);
});

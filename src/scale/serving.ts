/**
 * How a serving process (the single bot, or one shard) trains and learns about new models, chosen by config:
 *
 * - no REDIS_URL: single process. /retrain runs the LearningLoop right here (in a worker thread); the loop
 *   swaps the promoted model itself. The broadcast is an in-process EventEmitter. A ModelFollower still re-reads
 *   the database every MODEL_SYNC_INTERVAL_S, so a version the CLI activates (`npm run model -- rollback`,
 *   `npm run retrain`) is served without a restart.
 * - REDIS_URL: scale-out. /retrain enqueues a BullMQ job that `npm run trainer` runs; the trainer activates
 *   the version in the shared database and broadcasts it on Redis; every shard's ModelFollower swaps it in.
 *   /model rollback runs on the shard that got it (database + its own swap) and is broadcast the same way.
 */
import type { BreedbotApp } from '../app/create.ts';
import type { TrainingControl } from '../features/training/types.ts';
import type { Config } from '../config.ts';
import { startLearning, type Learning } from '../learning/index.ts';
import type { LearningLoop } from '../learning/learning-loop.ts';
import { log } from '../log.ts';
import { BullTrainingQueue } from './bullmq-queue.ts';
import { learningLoopRunner } from './learning-runner.ts';
import { InProcessModelBroadcast, RedisModelBroadcast, type ModelBroadcast } from './model-broadcast.ts';
import { ModelFollower } from './model-follower.ts';
import { queuedTrainingControl, type Rollback } from './training-control.ts';
import { Resources } from '../runtime/resources.ts';
import { announcingRunner, InProcessTrainingQueue, type TrainingQueue } from './training-queue.ts';

export type ServingConfig = Parameters<typeof startLearning>[1] &
  Pick<Config, 'REDIS_URL' | 'REDIS_PREFIX' | 'MODEL_SYNC_INTERVAL_S'>;

export interface ServingScale {
  readonly shape: 'single-process' | 'redis';
  /** What the bot's /retrain and /model rollback call. */
  readonly training: TrainingControl;
  readonly queue: TrainingQueue;
  readonly broadcast: ModelBroadcast;
  /** Keeps this process on the database's active version (every MODEL_SYNC_INTERVAL_S, and on broadcasts). */
  readonly follower: ModelFollower;
  readonly learning: Learning;
  close(): Promise<void>;
}

export interface ServingOptions {
  /** Single process only: run the RETRAIN_CRON schedule here (in the Redis shape the trainer runs it). */
  schedule?: boolean;
}

export async function connectServing(
  config: ServingConfig,
  app: Pick<BreedbotApp, 'db' | 'model'>,
  options: ServingOptions = {},
): Promise<ServingScale> {
  const resources = new Resources();
  return resources.build(async () => {
    const redisUrl = config.REDIS_URL;
    // In the Redis shape a shard never trains itself (the loop is here for rollbacks and following the database).
    const learning = resources.add(
      'learning loop',
      startLearning(app, config, { schedule: redisUrl ? false : (options.schedule ?? false) }),
      (l) => l.close(),
    );
    const broadcast: ModelBroadcast = resources.add(
      'model broadcast',
      redisUrl ? new RedisModelBroadcast(redisUrl, config.REDIS_PREFIX) : new InProcessModelBroadcast(),
      (b) => b.close(),
    );
    const queue: TrainingQueue = resources.add(
      'training queue',
      redisUrl
        ? await BullTrainingQueue.open({ redisUrl, prefix: config.REDIS_PREFIX })
        : new InProcessTrainingQueue(announcingRunner(learningLoopRunner(learning.loop), broadcast)),
      (q) => q.close(),
    );
    const follower = resources.add('model follower', followDatabase(config, learning, broadcast), (f) =>
      f.close(),
    );
    await follower.start();
    if (redisUrl) {
      log.info(
        { prefix: config.REDIS_PREFIX, version: app.model.holder.version },
        'training queue and model broadcast on Redis',
      );
    }
    const queued = queuedTrainingControl(queue, announcingRollback(learning.loop, broadcast));
    // A backbone switch runs in the process that holds the loop, so only the single-process shape offers it
    // (the loop refuses it while a retrain runs, and a retrain while it runs); a shard has no loop that trains.
    const { switchBackbone, backboneEntries } = learning.control;
    return {
      shape: redisUrl ? 'redis' : 'single-process',
      training: redisUrl ? queued : { ...queued, switchBackbone, backboneEntries },
      queue,
      broadcast,
      follower,
      learning,
      close: () => resources.close(),
    };
  });
}

function followDatabase(config: ServingConfig, learning: Learning, broadcast: ModelBroadcast): ModelFollower {
  return new ModelFollower({
    syncWithDatabase: () => learning.loop.syncWithDatabase(),
    broadcast,
    pollIntervalMs: config.MODEL_SYNC_INTERVAL_S * 1000,
  });
}

/** A rollback here (database + this process's swap), then told to every other serving process. */
export function announcingRollback(loop: LearningLoop, broadcast: ModelBroadcast): Rollback {
  return async (version, requestedBy) => {
    const result = await loop.rollback(version, requestedBy);
    await broadcast
      .publish({ version: result.activeVersion, cause: 'rollback', at: new Date().toISOString() })
      .catch((err: unknown) =>
        log.error({ err, version: result.activeVersion }, 'rollback broadcast failed'),
      );
    return result;
  };
}

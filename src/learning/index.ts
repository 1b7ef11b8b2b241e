/**
 * The learning loop wired from the database, the serving model and the settings. The composition root (or a CLI)
 * calls `startLearning(app, config)` with anything that has both (the application does); pass `learning.control`
 * to the Discord bot as its `training` port.
 */
import type { TrainingControl } from '../features/training/types.ts';
import type { Config } from '../config.ts';
import { imageLimitsFromConfig } from '../images/decode.ts';
import { log } from '../log.ts';
import { LearningLoop, type LearningLoopOptions } from './learning-loop.ts';
import {
  runScheduledRetrain,
  scheduleRetraining,
  type RetrainSchedule,
  type ScheduledRun,
} from './schedule.ts';
import { trainingControlOf } from './training-control.ts';

export {
  LearningLoop,
  type LearningStatus,
  type RetrainRequest,
  type RetrainResult,
} from './learning-loop.ts';
export { datasetFromStore, type StoreDataset } from './dataset-from-store.ts';
export { runScheduledRetrain, scheduleRetraining, type ScheduledRun } from './schedule.ts';
export { trainingControlOf } from './training-control.ts';

type LearningConfig = Pick<
  Config,
  | 'modelsDir'
  | 'TF_BACKEND'
  | 'RETRAIN_CRON'
  | 'RETRAIN_MIN_NEW_LABELS'
  | 'RETRAIN_MIN_VOTES'
  | 'IMAGE_MAX_BYTES'
  | 'IMAGE_MAX_PIXELS'
  | 'FINE_TUNE_BACKBONE'
  | 'FINE_TUNE_BLOCKS'
  | 'FINE_TUNE_EPOCHS'
  | 'FINE_TUNE_GUARD_PHOTOS'
>;

export interface Learning {
  loop: LearningLoop;
  /** The bot's training port (/retrain, /model rollback). */
  control: TrainingControl;
  /** Null unless `schedule` was asked for. */
  schedule: RetrainSchedule | null;
  /** What the cron task runs, callable directly. */
  runScheduled(): Promise<ScheduledRun>;
  close(): Promise<void>;
}

export function startLearning(
  app: Pick<LearningLoopOptions, 'db' | 'model'>,
  config: LearningConfig,
  options: {
    /** Start the RETRAIN_CRON schedule. */
    schedule?: boolean;
    /** Check the database's active version this often (ms) and swap to it (CLI rollbacks, other hosts). */
    followDatabaseMs?: number;
  } & Partial<Omit<LearningLoopOptions, 'db' | 'model'>> = {},
): Learning {
  const { schedule: wantSchedule, followDatabaseMs, ...overrides } = options;
  const loop = new LearningLoop({
    db: app.db,
    model: app.model,
    modelsDir: config.modelsDir,
    ...(config.TF_BACKEND ? { backend: config.TF_BACKEND } : {}),
    consensus: { minVotes: config.RETRAIN_MIN_VOTES },
    limits: imageLimitsFromConfig(config),
    fineTune: {
      enabled: config.FINE_TUNE_BACKBONE,
      options: { blocks: config.FINE_TUNE_BLOCKS, maxEpochs: config.FINE_TUNE_EPOCHS },
      guardPhotos: config.FINE_TUNE_GUARD_PHOTOS,
    },
    ...overrides,
  });
  const schedule = wantSchedule
    ? scheduleRetraining(loop, { cron: config.RETRAIN_CRON, minNewLabels: config.RETRAIN_MIN_NEW_LABELS })
    : null;
  const follow = followDatabaseMs
    ? setInterval(() => {
        loop
          .syncWithDatabase()
          .catch((err: unknown) => log.warn({ err }, 'could not follow the active model version'));
      }, followDatabaseMs).unref()
    : null;
  return {
    loop,
    control: trainingControlOf(loop),
    schedule,
    runScheduled: () => runScheduledRetrain(loop, config.RETRAIN_MIN_NEW_LABELS),
    async close() {
      if (follow) clearInterval(follow);
      await schedule?.stop();
      await loop.close();
    },
  };
}

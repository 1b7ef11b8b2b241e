/**
 * RETRAIN_CRON in the scale-out shape: the trainer's clock enqueues a job (deduplicated like any /retrain)
 * when enough new labels arrived, so a schedule and a moderator never train at the same time.
 */
import cron from 'node-cron';
import type { LearningLoop } from '../learning/learning-loop.ts';
import { log } from '../log.ts';
import type { TrainingQueue } from './training-queue.ts';

export interface QueuedSchedule {
  /** What the clock runs; callable directly. */
  tick(): Promise<'queued' | 'busy' | 'too-few-labels'>;
  stop(): Promise<void>;
}

export function scheduleQueuedRetraining(
  loop: LearningLoop,
  queue: TrainingQueue,
  options: { cron: string; minNewLabels: number },
): QueuedSchedule {
  if (!cron.validate(options.cron)) {
    throw new Error(`RETRAIN_CRON "${options.cron}" is not a valid cron expression (e.g. "0 3 * * *")`);
  }
  const tick = async () => {
    const newLabels = await loop.newLabelsSinceLastVersion();
    if (newLabels < options.minNewLabels) {
      log.info(
        { newLabels, minNewLabels: options.minNewLabels },
        'scheduled retrain skipped: few new labels',
      );
      return 'too-few-labels' as const;
    }
    const submission = await queue.submit({ requestedBy: 'schedule', guildId: null, trigger: 'schedule' });
    if (!submission.accepted) return 'busy' as const;
    submission.outcome.then(
      (o) => log.info({ status: o.status, version: o.version }, 'scheduled retrain finished'),
      (err: unknown) => log.error({ err }, 'scheduled retrain failed'),
    );
    return 'queued' as const;
  };
  const task = cron.schedule(
    options.cron,
    async () => {
      await tick().catch((err: unknown) => log.error({ err }, 'scheduled retrain could not be queued'));
    },
    { name: 'retrain-queue', noOverlap: true },
  );
  return { tick, stop: async () => void (await task.destroy()) };
}

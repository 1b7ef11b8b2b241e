/**
 * The nightly trigger: a node-cron task that retrains only when enough new labels arrived since the last
 * version (RETRAIN_MIN_NEW_LABELS), so a quiet server does not train the same labels every night.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { log } from '../log.ts';
import type { LearningLoop, RetrainResult } from './learning-loop.ts';

export interface ScheduledRun {
  ran: boolean;
  newLabels: number;
  minNewLabels: number;
  /** Why it did not train, when it did not. */
  reason?: string;
  result?: RetrainResult;
}

/** What the cron task runs; exported so it can be called (and tested) without waiting for the clock. */
export async function runScheduledRetrain(loop: LearningLoop, minNewLabels: number): Promise<ScheduledRun> {
  const newLabels = await loop.newLabelsSinceLastVersion();
  if (loop.isTraining) {
    return { ran: false, newLabels, minNewLabels, reason: 'a training is already running' };
  }
  if (newLabels < minNewLabels) {
    log.info({ newLabels, minNewLabels }, 'scheduled retrain skipped: not enough new labels');
    return { ran: false, newLabels, minNewLabels, reason: `${newLabels} new labels (need ${minNewLabels})` };
  }
  const result = await loop.retrain({ requestedBy: 'schedule', reason: 'schedule' });
  log.info(
    { status: result.status, version: result.version, reason: result.reason },
    'scheduled retrain finished',
  );
  return { ran: true, newLabels, minNewLabels, result };
}

export interface RetrainSchedule {
  task: ScheduledTask;
  stop(): Promise<void>;
}

export function scheduleRetraining(
  loop: LearningLoop,
  options: { cron: string; minNewLabels: number; timezone?: string },
): RetrainSchedule {
  if (!cron.validate(options.cron)) {
    throw new Error(
      `RETRAIN_CRON "${options.cron}" is not a valid cron expression (e.g. "0 3 * * *": 03:00 daily)`,
    );
  }
  const task = cron.schedule(
    options.cron,
    async () => {
      try {
        await runScheduledRetrain(loop, options.minNewLabels);
      } catch (err) {
        log.error({ err }, 'scheduled retrain failed');
      }
    },
    { name: 'retrain', noOverlap: true, ...(options.timezone ? { timezone: options.timezone } : {}) },
  );
  log.info(
    { cron: options.cron, next: task.getNextRun(), minNewLabels: options.minNewLabels },
    'retraining scheduled',
  );
  return {
    task,
    stop: async () => {
      await task.destroy();
    },
  };
}

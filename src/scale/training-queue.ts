/**
 * Where a /retrain goes. One training at a time, whichever process asks: a second request while one is queued
 * or running is told "already training, N%" instead of starting another. Two implementations:
 * - InProcessTrainingQueue (this file): the single-process shape, the runner is the learning loop right here;
 * - BullTrainingQueue (bullmq-queue.ts): shards enqueue on Redis and `npm run trainer` runs the jobs.
 */
import { randomUUID } from 'node:crypto';
import type { TrainingOutcome, TrainingProgress } from '../features/training/types.ts';
import { log } from '../log.ts';
import type { ModelBroadcast } from './model-broadcast.ts';

export interface TrainingRequest {
  requestedBy: string;
  guildId: string | null;
  /** Default 'moderator'. */
  trigger?: 'moderator' | 'schedule' | 'cli';
}

/** Trains, evaluates, records the version and (when it passed) activates it in the database. */
export type TrainingRunner = (
  request: TrainingRequest,
  onProgress: (progress: TrainingProgress) => void,
) => Promise<TrainingOutcome>;

export type Submission =
  | { accepted: true; jobId: string; outcome: Promise<TrainingOutcome> }
  | { accepted: false; jobId: string; progress: TrainingProgress };

export interface TrainingQueue {
  readonly kind: 'in-process' | 'bullmq';
  submit(request: TrainingRequest, onProgress?: (progress: TrainingProgress) => void): Promise<Submission>;
  /** The job queued or running now, as this process last heard of it; null when idle. */
  current(): TrainingProgress | null;
  close(): Promise<void>;
}

/** A training job that ended in an error (the runner threw, the trainer died twice): nothing was activated. */
export class TrainingJobFailedError extends Error {
  constructor(
    readonly jobId: string,
    readonly reason: string,
  ) {
    super(`training job ${jobId} failed: ${reason}`);
    this.name = 'TrainingJobFailedError';
  }
}

export const QUEUED: TrainingProgress = { fraction: 0 };

export class InProcessTrainingQueue implements TrainingQueue {
  readonly kind = 'in-process';
  readonly #runner: TrainingRunner;
  #running: { jobId: string; progress: TrainingProgress } | null = null;

  constructor(runner: TrainingRunner) {
    this.#runner = runner;
  }

  async submit(request: TrainingRequest, onProgress?: (p: TrainingProgress) => void): Promise<Submission> {
    if (this.#running) return { accepted: false, ...this.#running };
    const job = { jobId: randomUUID(), progress: QUEUED };
    this.#running = job;
    const run = async () => {
      try {
        return await this.#runner(request, (p) => {
          job.progress = p;
          onProgress?.(p);
        });
      } catch (error) {
        throw new TrainingJobFailedError(job.jobId, (error as Error)?.message ?? String(error));
      } finally {
        this.#running = null;
      }
    };
    return { accepted: true, jobId: job.jobId, outcome: run() };
  }

  current(): TrainingProgress | null {
    return this.#running?.progress ?? null;
  }

  async close(): Promise<void> {}
}

/**
 * The runner, then the news: a promoted version is broadcast so every serving process swaps it in. A failed
 * broadcast is logged, not thrown: the version is active in the database and the followers' polling heals it.
 */
export function announcingRunner(runner: TrainingRunner, broadcast: ModelBroadcast): TrainingRunner {
  return async (request, onProgress) => {
    const outcome = await runner(request, onProgress);
    if (outcome.status === 'promoted' && outcome.version) {
      await broadcast
        .publish({ version: outcome.version, cause: 'promoted', at: new Date().toISOString() })
        .catch((err: unknown) => log.error({ err, version: outcome.version }, 'model broadcast failed'));
    }
    return outcome;
  };
}

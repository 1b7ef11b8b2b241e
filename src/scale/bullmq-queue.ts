/**
 * The training queue on Redis (BullMQ). Shards are producers (BullTrainingQueue); `npm run trainer` is the one
 * consumer (startTrainingWorker). One training at a time across every process: jobs carry BullMQ's
 * deduplication id "retrain", so while one is queued or running another add returns the existing job instead
 * of a new one, and the second moderator is told its progress.
 *
 * If the trainer dies mid-job, BullMQ notices the expired lock and hands the job to the next trainer once
 * (`maxStalledCount`); a second death fails it. Nothing is activated until the runner itself activates a
 * version, so a dead trainer never changes the serving model.
 */
import { randomBytes } from 'node:crypto';
import { Job, Queue, QueueEvents, Worker, type JobProgress } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TrainingOutcome, TrainingProgress } from '../features/training/types.ts';
import { log } from '../log.ts';
import { connectRedis } from './redis.ts';
import {
  QUEUED,
  TrainingJobFailedError,
  type Submission,
  type TrainingQueue,
  type TrainingRequest,
  type TrainingRunner,
} from './training-queue.ts';

export const TRAINING_QUEUE_NAME = 'training';
const JOB_NAME = 'retrain';
const DEDUPLICATION_ID = 'retrain';

export interface TrainingJobData {
  request: TrainingRequest;
  submittedAt: string;
}

export interface BullQueueOptions {
  redisUrl: string;
  /** REDIS_PREFIX: BullMQ keys become `<prefix>:training:...`. */
  prefix: string;
}

/** BullMQ progress is any JSON; ours is a TrainingProgress, anything else reads as "queued". */
export function progressOf(data: JobProgress | undefined): TrainingProgress {
  if (data && typeof data === 'object' && typeof (data as { fraction?: unknown }).fraction === 'number') {
    return data as TrainingProgress;
  }
  return QUEUED;
}

export class BullTrainingQueue implements TrainingQueue {
  readonly kind = 'bullmq';
  readonly #queue: Queue<TrainingJobData, TrainingOutcome>;
  readonly #events: QueueEvents;
  readonly #connections: Redis[];
  #latest: { jobId: string; progress: TrainingProgress } | null = null;

  private constructor(options: BullQueueOptions) {
    const queueConnection = connectRedis(options.redisUrl, 'breedbot-training-queue', { failFast: true });
    const eventsConnection = connectRedis(options.redisUrl, 'breedbot-training-events');
    this.#connections = [queueConnection, eventsConnection];
    this.#queue = new Queue<TrainingJobData, TrainingOutcome>(TRAINING_QUEUE_NAME, {
      connection: queueConnection,
      prefix: options.prefix,
    });
    this.#events = new QueueEvents(TRAINING_QUEUE_NAME, {
      connection: eventsConnection,
      prefix: options.prefix,
    });
    this.#queue.on('error', (err) => log.warn({ err: err.message }, 'training queue trouble'));
    this.#events.on('error', (err) => log.warn({ err: err.message }, 'training queue events trouble'));
    // Whatever any process enqueues, every shard knows whether a training is under way (for /retrain's reply).
    this.#events.on('waiting', ({ jobId }) => (this.#latest = { jobId, progress: QUEUED }));
    this.#events.on('active', ({ jobId }) => (this.#latest = { jobId, progress: QUEUED }));
    this.#events.on('progress', ({ jobId, data }) => (this.#latest = { jobId, progress: progressOf(data) }));
    const finished = ({ jobId }: { jobId: string }) => {
      if (this.#latest?.jobId === jobId) this.#latest = null;
    };
    this.#events.on('completed', finished);
    this.#events.on('failed', finished);
  }

  static async open(options: BullQueueOptions): Promise<BullTrainingQueue> {
    const queue = new BullTrainingQueue(options);
    await Promise.all([queue.#queue.waitUntilReady(), queue.#events.waitUntilReady()]);
    const [underway] = await queue.#queue.getJobs(['active', 'waiting'], 0, 0);
    if (underway?.id) queue.#latest = { jobId: underway.id, progress: progressOf(underway.progress) };
    return queue;
  }

  async submit(request: TrainingRequest, onProgress?: (p: TrainingProgress) => void): Promise<Submission> {
    const jobId = `retrain-${Date.now()}-${randomBytes(3).toString('hex')}`;
    const job = await this.#queue.add(
      JOB_NAME,
      { request, submittedAt: new Date().toISOString() },
      {
        jobId,
        deduplication: { id: DEDUPLICATION_ID },
        attempts: 1,
        // Results stay readable for a while (the /retrain that waits may be on another shard); then go.
        removeOnComplete: { age: 24 * 3600, count: 100 },
        removeOnFail: { age: 7 * 24 * 3600, count: 100 },
      },
    );
    if (job.id !== jobId) {
      const existing = job.id
        ? await Job.fromId<TrainingJobData, TrainingOutcome>(this.#queue, job.id)
        : null;
      return { accepted: false, jobId: job.id ?? 'unknown', progress: progressOf(existing?.progress) };
    }
    log.info({ jobId, requestedBy: request.requestedBy }, 'training job queued');
    const onJobProgress = ({ jobId: id, data }: { jobId: string; data: JobProgress }) => {
      if (id === jobId) onProgress?.(progressOf(data));
    };
    this.#events.on('progress', onJobProgress);
    const outcome = job
      .waitUntilFinished(this.#events)
      .catch((err: unknown) => {
        throw new TrainingJobFailedError(jobId, (err as Error)?.message ?? String(err));
      })
      .finally(() => this.#events.off('progress', onJobProgress));
    return { accepted: true, jobId, outcome };
  }

  current(): TrainingProgress | null {
    return this.#latest?.progress ?? null;
  }

  /** Jobs by state, for the operator (and tests). */
  counts(): Promise<Record<string, number>> {
    return this.#queue.getJobCounts('waiting', 'active', 'completed', 'failed');
  }

  async job(jobId: string): Promise<Job<TrainingJobData, TrainingOutcome> | undefined> {
    return Job.fromId<TrainingJobData, TrainingOutcome>(this.#queue, jobId);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#events.close(), this.#queue.close()]);
    await Promise.allSettled(this.#connections.map((c) => c.quit()));
  }
}

export interface TrainingWorker {
  /** Waits for the job in hand (if any) to finish, then stops taking jobs. */
  close(): Promise<void>;
}

export interface TrainingWorkerOptions extends BullQueueOptions {
  runner: TrainingRunner;
  /** How long the trainer may be silent before BullMQ deems the job stalled (it renews the lock meanwhile). */
  lockDurationMs?: number;
}

/** The consumer: runs one job at a time with the runner and reports its progress to the job. */
export async function startTrainingWorker(options: TrainingWorkerOptions): Promise<TrainingWorker> {
  const connection = connectRedis(options.redisUrl, 'breedbot-trainer');
  const worker = new Worker<TrainingJobData, TrainingOutcome>(
    TRAINING_QUEUE_NAME,
    async (job) => {
      log.info({ jobId: job.id, request: job.data.request }, 'training job started');
      let lastReport = Promise.resolve();
      const outcome = await options.runner(job.data.request, (progress) => {
        lastReport = job
          .updateProgress({ ...progress })
          .catch((err: unknown) => log.warn({ err, jobId: job.id }, 'progress report failed'));
      });
      await lastReport;
      log.info({ jobId: job.id, status: outcome.status, version: outcome.version }, 'training job finished');
      return outcome;
    },
    {
      connection,
      prefix: options.prefix,
      concurrency: 1,
      lockDuration: options.lockDurationMs ?? 60_000,
      maxStalledCount: 1,
    },
  );
  worker.on('failed', (job, err) => log.error({ jobId: job?.id, err: err.message }, 'training job failed'));
  worker.on('error', (err) => log.warn({ err: err.message }, 'training worker trouble'));
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      await connection.quit().catch(() => undefined);
    },
  };
}

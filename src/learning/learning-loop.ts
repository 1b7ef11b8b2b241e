/**
 * The learning loop: labels in the database → a candidate head trained in a worker thread → evaluated against
 * the active head → recorded as a model version → hot-swapped in when it passed its checks.
 *
 * Safety rules:
 * - one training at a time; a second request is told how far the running one is;
 * - the serving model and the database change only after a candidate passed every check: a failed, killed or
 *   aborted training leaves both exactly as they were (the worker writes its version folder atomically, and the
 *   database row is written only after the worker answered);
 * - the database is updated before the swap, so a crash in between restarts on the promoted version;
 * - in-flight requests finish on the model they started with (ModelHolder leases).
 *
 * The jobs live beside it: retrain.ts, backbone-switch-job.ts, promotion.ts (record, gate, swap) and
 * rollback.ts; this class runs them one at a time and keeps their progress.
 */
import path from 'node:path';
import type { TrainingProgress } from '../features/training/types.ts';
import { log } from '../log.ts';
import { UserFacingError } from '../refusals.ts';
import { countLabelsSince } from '../storage/labels.ts';
import { activeModelVersion, listModelVersions } from '../storage/model-versions.ts';
import { backboneEntryIds } from './backbone-switch.ts';
import { switchBackboneJob } from './backbone-switch-job.ts';
import type {
  LearningLoopOptions,
  LearningStatus,
  LoopJob,
  RetrainRequest,
  RetrainResult,
  RetrainTrigger,
  SwitchRequest,
} from './loop-types.ts';
import { retrainFromStore } from './retrain.ts';
import { followDatabaseVersion, rollbackTo } from './rollback.ts';

export type {
  FineTuneSettings,
  HeadScores,
  LearningLoopOptions,
  LearningStatus,
  RetrainRequest,
  RetrainResult,
  RetrainTrigger,
  SwitchRequest,
} from './loop-types.ts';

export class LearningLoop {
  #running: Promise<RetrainResult> | null = null;
  #progress: LearningStatus['training'] = null;
  #last: RetrainResult | null = null;
  #abort: AbortController | null = null;
  #closed = false;

  constructor(private readonly options: LearningLoopOptions) {}

  /** Progress of the running training, null when idle. */
  current(): TrainingProgress | null {
    if (!this.#progress) return null;
    const { requestedBy: _r, reason: _why, startedAt: _s, ...progress } = this.#progress;
    return progress;
  }

  get isTraining(): boolean {
    return this.#running !== null;
  }

  /**
   * Trains a candidate on the resolved labels and promotes it when it passed its checks. Never throws for a
   * training that fails: the result says `failed` and why (nothing changed).
   */
  retrain(
    request: RetrainRequest,
    onProgress: ((p: TrainingProgress) => void) | undefined = request.onProgress,
  ): Promise<RetrainResult> {
    const reason = request.reason ?? 'moderator';
    return this.#exclusive(request.requestedBy, reason, onProgress, (job) =>
      retrainFromStore(job, request.requestedBy, reason),
    );
  }

  /**
   * Switches the serving backbone to another models/<id>.model.json entry, keeping what people taught: every
   * stored photo is re-embedded with it (serving stays on the current backbone meanwhile), a head is trained from
   * its base head on all stored labels (user-created breeds included), judged against the serving version on the
   * same held-out photos (each head on its own backbone's embeddings), recorded and swapped in when it passed.
   * Throws for an unknown entry; never throws for a run that fails (the result says `failed`, nothing changed).
   */
  switchBackbone(
    request: SwitchRequest,
    onProgress: ((p: TrainingProgress) => void) | undefined = request.onProgress,
  ): Promise<RetrainResult> {
    const target = request.backboneId.trim();
    const entries = backboneEntryIds(this.#entriesDir());
    if (!entries.includes(target)) {
      return Promise.reject(
        new UserFacingError(
          'not-found',
          `There is no backbone entry ${target}. Entries: ${entries.join(', ') || 'none'}.`,
        ),
      );
    }
    const reason = request.reason ?? 'moderator';
    return this.#exclusive(request.requestedBy, reason, onProgress, (job) =>
      switchBackboneJob(job, target, request.requestedBy, reason),
    );
  }

  /** The entry ids `switchBackbone` accepts (models/<id>.model.json). */
  backboneEntries(): string[] {
    return backboneEntryIds(this.#entriesDir());
  }

  /** Where the backbone entries are: beside the runtime's own entry file. */
  #entriesDir(): string {
    return path.dirname(this.options.model.runtime.modelConfig.configPath);
  }

  /** One training or switch at a time; a second request is told how far the running one is. */
  #exclusive(
    requestedBy: string,
    reason: RetrainTrigger,
    onProgress: ((p: TrainingProgress) => void) | undefined,
    run: (job: LoopJob) => Promise<RetrainResult>,
  ): Promise<RetrainResult> {
    if (this.#closed)
      return Promise.reject(new UserFacingError('not-available', 'breedbot is shutting down.'));
    if (this.#running) {
      const percent = Math.round((this.#progress?.fraction ?? 0) * 100);
      return Promise.resolve({
        status: 'skipped',
        alreadyRunning: true,
        percent,
        reason: `already training, ${percent}% done`,
      });
    }
    this.#progress = { fraction: 0, requestedBy, reason, startedAt: new Date() };
    const report = (p: TrainingProgress) => {
      if (this.#progress) this.#progress = { ...this.#progress, ...p };
      try {
        onProgress?.(p);
      } catch (err) {
        log.warn({ err }, 'a training progress listener failed');
      }
    };
    const abortable = () => {
      this.#abort = new AbortController();
      return this.#abort.signal;
    };
    const running = run({ options: this.options, report, abortable, entriesDir: this.#entriesDir() }).finally(
      () => {
        this.#running = null;
        this.#progress = null;
        this.#abort = null;
      },
    );
    this.#running = running;
    return running.then((result) => (this.#last = result));
  }

  /**
   * Serves an earlier version again (or the base head: its id or "base"). Only versions that passed their
   * checks once (active or retired) qualify; a rejected candidate never serves.
   */
  async rollback(version: string, requestedBy: string): Promise<{ activeVersion: string }> {
    if (this.#running) {
      throw new UserFacingError('not-available', 'A training is running; roll back once it has finished.');
    }
    return rollbackTo(this.options, version, requestedBy);
  }

  /**
   * Follows the database's active version: a rollback made with `npm run model -- rollback`, or a promotion by
   * another host sharing the database. Returns the version serving afterwards.
   */
  syncWithDatabase(): Promise<string> {
    return followDatabaseVersion(this.options);
  }

  /** For the cron trigger: labels given or changed since the active version (or the last candidate) was made. */
  async newLabelsSinceLastVersion(): Promise<number> {
    const [latest] = await listModelVersions(this.options.db, 1);
    const active = await activeModelVersion(this.options.db);
    const times = [latest?.createdAt, active?.activatedAt].filter((d): d is Date => d instanceof Date);
    const since = times.length ? new Date(Math.max(...times.map((d) => d.getTime()))) : null;
    return countLabelsSince(this.options.db, since);
  }

  async status(historyLimit = 20): Promise<LearningStatus> {
    const { model } = this.options;
    return {
      activeVersion: model.holder.version,
      backboneId: model.backboneId,
      servingBackend: model.backend,
      training: this.#progress,
      last: this.#last,
      history: await listModelVersions(this.options.db, historyLimit),
    };
  }

  /** Stops a running training (its worker is terminated; nothing is recorded) and refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort?.abort();
    await this.#running?.catch(() => undefined);
  }
}

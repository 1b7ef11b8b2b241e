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
 */
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { LoadedModel } from '../app/model-gateway.ts';
import { UserFacingError } from '../refusals.ts';
import type { TrainingOutcome, TrainingProgress } from '../features/training/types.ts';
import type { ImageLimits } from '../images/decode.ts';
import type { ConsensusOptions } from '../storage/consensus.ts';
import type { Database } from '../storage/database.ts';
import {
  activateModelVersion,
  activeModelVersion,
  getModelVersion,
  listModelVersions,
  recordModelVersion,
  setModelVersionStatus,
  type ModelVersionRecord,
} from '../storage/model-versions.ts';
import { log } from '../log.ts';
import type { BackendName } from '../model/backend.ts';
import type { BreedClassifier } from '../model/classifier.ts';
import {
  baseHeadOf,
  baseVersionOf,
  classifierForVersion,
  ownedClassifier,
  startEntryBackbone,
} from '../model/index.ts';
import { embeddingIdOf, imageSpecOf, loadModelConfig, modelConfigPathFor } from '../model/model-config.ts';
import type { BreedHead } from '../model/types.ts';
import { isBaseVersion } from '../model/registry.ts';
import type { TrainingInput, TrainingResult } from '../training/pipeline.ts';
import { tooFewLabels } from '../training/dataset.ts';
import { runTraining } from '../training/run-training.ts';
import type { TrainingProgress as EpochProgress } from '../training/types.ts';
import type { FineTuneOptions } from '../training/fine-tune/backbone-fine-tuner.ts';
import { secondStageRunsOn, type SecondStageInput } from '../training/fine-tune/second-stage.ts';
import { backboneEntryIds, switchTrainingInput } from './backbone-switch.ts';
import { countNewLabels, datasetFromStore, photosForFineTuning } from './dataset-from-store.ts';

export type RetrainTrigger = 'schedule' | 'moderator' | 'cli';

export interface RetrainRequest {
  requestedBy: string;
  reason?: RetrainTrigger;
  guildId?: string | null;
  onProgress?: (p: TrainingProgress) => void;
}

export interface SwitchRequest {
  /** A models/<id>.model.json entry id, e.g. mobilenet_edgetpu_224_1.0. */
  backboneId: string;
  requestedBy: string;
  reason?: RetrainTrigger;
  onProgress?: (p: TrainingProgress) => void;
}

export interface HeadScores {
  top1: number;
  top5: number;
}

/** What one retrain request ended in. `failed`: the worker crashed or was killed; nothing changed. */
export interface RetrainResult extends Omit<TrainingOutcome, 'status'> {
  status: TrainingOutcome['status'] | 'failed';
  /** True when another training was already running (nothing was started); `percent` says how far it is. */
  alreadyRunning?: boolean;
  percent?: number;
  /** Active and candidate on the same holdout. */
  before?: HeadScores;
  after?: HeadScores;
  /** Every check with its figures (why it was promoted, or each reason it was rejected). */
  reasons?: string[];
  labels?: number;
  trainSeconds?: number;
  /** Wall time of the whole run (dataset, training, evaluation, swap). */
  seconds?: number;
  newBreeds?: string[];
}

export interface LearningLoopOptions {
  db: Database;
  model: LoadedModel;
  modelsDir: string;
  /** tfjs engine for the training worker (TF_BACKEND); automatic (GPU when there is one) when omitted. */
  backend?: BackendName;
  consensus?: Partial<ConsensusOptions>;
  limits?: ImageLimits;
  /** Trainer, split, pseudo-example and promotion settings (see src/training/pipeline.ts). */
  training?: Pick<TrainingInput, 'train' | 'split' | 'pseudo' | 'guardPseudo' | 'policy'>;
  /** Called with each training worker once it started (tests kill it to prove a crash changes nothing). */
  onWorker?: (worker: Worker) => void;
  /** The optional second stage (FINE_TUNE_BACKBONE): fine-tune the backbone's last blocks on stored photos. */
  fineTune?: FineTuneSettings;
}

export interface FineTuneSettings {
  enabled: boolean;
  options?: Partial<FineTuneOptions>;
  /** Only on a GPU backend (default true; tests on the cpu backend turn it off). */
  requireGpu?: boolean;
  /** Stored photos nobody labelled that the forgetting guard re-embeds (default 300). */
  guardPhotos?: number;
}

export interface LearningStatus {
  activeVersion: string;
  backboneId: string;
  servingBackend: string;
  /** Null when idle. */
  training: (TrainingProgress & { requestedBy: string; reason: RetrainTrigger; startedAt: Date }) | null;
  last: RetrainResult | null;
  history: ModelVersionRecord[];
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

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
    return this.#exclusive(request.requestedBy, reason, onProgress, (report) =>
      this.#train(request.requestedBy, reason, report),
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
    return this.#exclusive(request.requestedBy, reason, onProgress, (report) =>
      this.#switch(target, request.requestedBy, reason, report),
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
    job: (report: (p: TrainingProgress) => void) => Promise<RetrainResult>,
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
    const run = job(report).finally(() => {
      this.#running = null;
      this.#progress = null;
      this.#abort = null;
    });
    this.#running = run;
    return run.then((result) => (this.#last = result));
  }

  async #train(
    requestedBy: string,
    trigger: RetrainTrigger,
    report: (p: TrainingProgress) => void,
  ): Promise<RetrainResult> {
    const began = performance.now();
    const { db, model } = this.options;
    const { holder } = model;
    // The head and version training starts from; a rollback during training is refused, so they stay current.
    const active = holder.model;
    const activeVersion = holder.version;
    report({ fraction: 0.01 });
    // The labels the active version was made from would make the same model again.
    const activeRecord = isBaseVersion(activeVersion) ? null : await getModelVersion(db, activeVersion);
    if (activeRecord && (await countNewLabels(db, activeRecord.createdAt)) === 0) {
      return {
        status: 'skipped',
        reason:
          `nothing new to learn: no label was given or changed since the active version ${activeVersion} ` +
          'was made. No new version was made',
        labels: 0,
      };
    }

    const dataset = await datasetFromStore(
      {
        db,
        backboneId: active.backbone.id,
        embed: (inputs) => active.embed(inputs),
        imageSpec: imageSpecOf(active.backbone.config),
        ...(this.options.limits ? { limits: this.options.limits } : {}),
      },
      {
        ...(this.options.consensus ? { consensus: this.options.consensus } : {}),
        onProgress: (done, total) => report({ fraction: 0.01 + 0.09 * (done / total) }),
      },
    );
    if (dataset.labels.length === 0) {
      return { status: 'skipped', reason: 'there are no resolved labels yet', labels: 0 };
    }
    // Without a holdout the candidate could not be judged: say how many labels it takes instead of training one.
    const shortfall = tooFewLabels(dataset.labels, active.head.breeds, this.options.training?.split);
    if (shortfall) return { status: 'skipped', reason: shortfall, labels: dataset.labels.length };
    const fineTune = await this.#secondStageInput(active, dataset.labels);
    report({ fraction: 0.1 });

    this.#abort = new AbortController();
    let result: TrainingResult;
    try {
      result = await runTraining(
        {
          activeHead: active.head,
          activeVersion,
          backboneId: active.backbone.id,
          labels: dataset.labels,
          referenceEmbeddings: dataset.referenceEmbeddings,
          modelsDir: this.options.modelsDir,
          ...this.options.training,
          ...(fineTune ? { fineTune } : {}),
        },
        {
          signal: this.#abort.signal,
          onProgress: (p) => report(epochProgress(p)),
          ...(this.options.backend ? { backend: this.options.backend } : {}),
          ...(this.options.onWorker ? { onWorker: this.options.onWorker } : {}),
        },
      );
    } catch (err) {
      const message = (err as Error).message;
      log.error({ err, requestedBy, trigger }, 'training failed; the active model is unchanged');
      return {
        status: 'failed',
        reason: `${message}. The current model keeps serving.`,
        labels: dataset.labels.length,
        seconds: (performance.now() - began) / 1000,
      };
    }
    report({ fraction: 0.97 });
    return this.#conclude(result, activeVersion, requestedBy, trigger, began);
  }

  async #switch(
    entryId: string,
    requestedBy: string,
    trigger: RetrainTrigger,
    report: (p: TrainingProgress) => void,
  ): Promise<RetrainResult> {
    const began = performance.now();
    const { db, model, modelsDir } = this.options;
    const { holder, runtime } = model;
    const active = holder.model;
    const activeVersion = holder.version;
    const failed = (why: string): RetrainResult => ({
      status: 'failed',
      reason: `${why.replace(/\.+$/, '')}. The current model keeps serving.`,
      seconds: (performance.now() - began) / 1000,
    });
    report({ fraction: 0.01, stage: 'embedding' });
    let loaded: Awaited<ReturnType<typeof startEntryBackbone>>;
    try {
      const config = loadModelConfig(modelConfigPathFor(this.#entriesDir(), entryId));
      if (embeddingIdOf(config) === active.backbone.id) {
        return { status: 'skipped', reason: `the bot already serves on backbone ${active.backbone.id}` };
      }
      loaded = await startEntryBackbone(runtime, embeddingIdOf(config), modelsDir);
    } catch (err) {
      log.error(
        { err, entryId },
        'the backbone to switch to cannot be loaded; the active model is unchanged',
      );
      return failed(`backbone ${entryId} cannot be loaded: ${(err as Error).message}`);
    }
    // Owns the new backbone and its engine until the promoted classifier (made with withHead) shares them.
    const base = ownedClassifier(
      runtime,
      loaded,
      baseHeadOf(loaded.backbone),
      baseVersionOf(loaded.backbone),
    );
    this.#abort = new AbortController();
    try {
      const input = await switchTrainingInput(
        {
          db,
          serving: active,
          target: base,
          ...(this.options.limits ? { limits: this.options.limits } : {}),
          ...(this.options.consensus ? { consensus: this.options.consensus } : {}),
          ...(this.options.training?.split ? { split: this.options.training.split } : {}),
          signal: this.#abort.signal,
        },
        (done, total) =>
          report({ fraction: 0.01 + 0.49 * (total ? done / total : 1), stage: 'embedding', done, total }),
      );
      if ('skipped' in input) return { status: 'skipped', reason: input.skipped, labels: input.labels };
      report({ fraction: 0.5, stage: 'training' });
      let result: TrainingResult;
      try {
        result = await runTraining(
          { ...input.training, activeVersion, modelsDir, ...this.options.training },
          {
            signal: this.#abort.signal,
            onProgress: (p) => {
              const epoch = epochProgress(p);
              report({ ...epoch, fraction: 0.5 + 0.45 * ((epoch.fraction - 0.1) / 0.85), stage: 'training' });
            },
            ...(this.options.backend ? { backend: this.options.backend } : {}),
            ...(this.options.onWorker ? { onWorker: this.options.onWorker } : {}),
          },
        );
      } catch (err) {
        log.error(
          { err, requestedBy, entryId },
          'backbone switch training failed; the active model is unchanged',
        );
        return { ...failed((err as Error).message), labels: input.training.labels.length };
      }
      report({ fraction: 0.97, stage: 'training' });
      return await this.#conclude(result, activeVersion, requestedBy, trigger, began, (head, version) =>
        base.withHead(head, version),
      );
    } catch (err) {
      log.error({ err, requestedBy, entryId }, 'backbone switch failed; the active model is unchanged');
      return failed(`the switch to ${entryId} failed: ${(err as Error).message}`);
    } finally {
      await base.release();
    }
  }

  /**
   * The second stage's photos, read only when it will run: a backend that is not a GPU one gets the request
   * without photos, and the trainer reports why it skipped.
   */
  async #secondStageInput(
    active: BreedClassifier,
    labels: { imageId: string; sha256: string }[],
  ): Promise<SecondStageInput | undefined> {
    const settings = this.options.fineTune;
    if (!settings?.enabled) return undefined;
    const { backbone } = active;
    const requireGpu = settings.requireGpu ?? true;
    const backend = this.options.backend ?? this.options.model.runtime.backend.name;
    const photos = secondStageRunsOn(backend, requireGpu)
      ? await photosForFineTuning(this.options.db, backbone.id, labels, settings.guardPhotos ?? 300)
      : { images: {}, references: [] };
    return {
      ...(settings.options ? { options: settings.options } : {}),
      requireGpu,
      modelDir: backbone.source.dir,
      modelConfig: backbone.config,
      ...photos,
      ...(this.options.limits ? { limits: this.options.limits } : {}),
    };
  }

  /** Records the candidate and, when it passed, activates it in the database and swaps it in. */
  async #conclude(
    result: TrainingResult,
    parent: string,
    requestedBy: string,
    trigger: RetrainTrigger,
    began: number,
    /** Makes the promoted classifier (a backbone switch already loaded the candidate's backbone). */
    load?: (head: BreedHead, version: string) => BreedClassifier,
  ): Promise<RetrainResult> {
    const { db, model } = this.options;
    const { metrics, decision } = result;
    const version = result.version!;
    const before = { top1: metrics.active.top1, top5: metrics.active.top5 };
    const after = { top1: metrics.candidate.top1, top5: metrics.candidate.top5 };
    const summary = {
      // no holdout, no score: a 0% would read as a measured one in /model info
      ...(metrics.holdoutImages > 0 ? { top1: after.top1, top5: after.top5, before } : {}),
      ece: metrics.candidate.ece,
      holdoutImages: metrics.holdoutImages,
      labels: metrics.labels,
      trainImages: metrics.trainImages,
      newBreeds: metrics.newBreeds,
      guardAgreement: metrics.guard.agreement,
      guardImages: metrics.guard.count,
      epochs: metrics.epochsRun,
      // Per-epoch figures for the training-curve chart of /retrain and /model info (NaN accuracy becomes null).
      curve: metrics.curve,
      trainSeconds: metrics.trainSeconds,
      requestedBy,
      trigger,
      reasons: decision.reasons,
      ...(metrics.fineTune ? { fineTune: metrics.fineTune } : {}),
    };
    await recordModelVersion(db, {
      id: version,
      path: result.dir!,
      parentId: parent,
      backboneId: result.backboneId,
      metrics: summary,
      status: 'candidate',
    });
    const common = {
      version,
      before,
      after,
      reasons: decision.reasons,
      labels: metrics.labels,
      trainSeconds: metrics.trainSeconds,
      newBreeds: metrics.newBreeds,
      metrics: summary,
    };
    if (!decision.promote) {
      const reason = decision.reasons.join('; ');
      await setModelVersionStatus(db, version, 'rejected', reason);
      log.warn({ version, reasons: decision.reasons }, 'candidate rejected; the active model stays');
      return { ...common, status: 'rejected', reason, seconds: (performance.now() - began) / 1000 };
    }
    const reason =
      `holdout top-1 ${pct(before.top1)} → ${pct(after.top1)} on ${metrics.holdoutImages} photos` +
      (metrics.newBreeds.length ? `; new: ${metrics.newBreeds.join(', ')}` : '') +
      (metrics.fineTune?.kept
        ? `; with the backbone's last ${metrics.fineTune.blocks} blocks fine-tuned`
        : '') +
      (load ? `; backbone ${model.holder.model.backbone.id} → ${result.backboneId}` : '');
    const current = model.holder.model;
    let classifier: BreedClassifier;
    try {
      classifier = load
        ? load(result.head, version)
        : result.backboneId === current.backbone.id
          ? current.withHead(result.head, version)
          : await classifierForVersion(model.runtime, version, this.options.modelsDir, current);
    } catch (err) {
      const why = `it passed its checks but could not be loaded: ${(err as Error).message}`;
      await setModelVersionStatus(db, version, 'rejected', why);
      log.error({ err, version }, 'candidate could not be loaded; the active model stays');
      return { ...common, status: 'rejected', reason: why, seconds: (performance.now() - began) / 1000 };
    }
    await this.#activate(version, classifier, reason);
    log.info({ version, before, after, requestedBy, trigger }, 'candidate promoted');
    return { ...common, status: 'promoted', reason, seconds: (performance.now() - began) / 1000 };
  }

  /** Database first (a crash right after restarts on the new version), then the atomic swap. */
  async #activate(version: string, classifier: BreedClassifier, reason: string): Promise<void> {
    await activateModelVersion(this.options.db, version, reason);
    await this.options.model.holder.swap(classifier, version);
  }

  /**
   * Serves an earlier version again (or the base head: its id or "base"). Only versions that passed their
   * checks once (active or retired) qualify; a rejected candidate never serves.
   */
  async rollback(version: string, requestedBy: string): Promise<{ activeVersion: string }> {
    if (this.#running) {
      throw new UserFacingError('not-available', 'A training is running; roll back once it has finished.');
    }
    const { db, model, modelsDir } = this.options;
    const { runtime, holder } = model;
    const target = version.trim();
    if (target === 'base' || target === runtime.baseVersion) {
      const current = await activeModelVersion(db);
      if (current)
        await setModelVersionStatus(
          db,
          current.id,
          'retired',
          `rolled back to the base model by ${requestedBy}`,
        );
      await holder.swap(runtime.classifier, runtime.baseVersion);
      return { activeVersion: runtime.baseVersion };
    }
    if (isBaseVersion(target))
      throw new UserFacingError('not-found', `There is no base model called ${target}.`);
    const record = await getModelVersion(db, target);
    if (!record) throw new UserFacingError('not-found', `There is no model version ${target}.`);
    if (record.status === 'rejected' || record.status === 'candidate') {
      throw new UserFacingError(
        'bad-argument',
        `Version ${target} never passed its checks (${record.status}), so it cannot serve.`,
      );
    }
    if (record.status === 'active' && holder.version === target) return { activeVersion: target };
    let classifier: BreedClassifier;
    try {
      classifier = await classifierForVersion(runtime, target, modelsDir, holder.model);
    } catch (err) {
      throw new UserFacingError(
        'not-found',
        `Version ${target} cannot be loaded: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    await this.#activate(target, classifier, `rolled back to by ${requestedBy}`);
    log.info({ version: target, requestedBy }, 'rolled back');
    return { activeVersion: target };
  }

  /**
   * Follows the database's active version: a rollback made with `npm run model -- rollback`, or a promotion by
   * another host sharing the database. Returns the version serving afterwards.
   */
  async syncWithDatabase(): Promise<string> {
    const { db, model, modelsDir } = this.options;
    const { runtime, holder } = model;
    const wanted = (await activeModelVersion(db))?.id ?? runtime.baseVersion;
    if (wanted === holder.version) return wanted;
    const classifier =
      wanted === runtime.baseVersion
        ? runtime.classifier
        : await classifierForVersion(runtime, wanted, modelsDir, holder.model);
    await holder.swap(classifier, wanted);
    log.info({ version: wanted }, 'now serving the version the database names');
    return wanted;
  }

  /** For the cron trigger: labels given or changed since the active version (or the last candidate) was made. */
  async newLabelsSinceLastVersion(): Promise<number> {
    const [latest] = await listModelVersions(this.options.db, 1);
    const active = await activeModelVersion(this.options.db);
    const times = [latest?.createdAt, active?.activatedAt].filter((d): d is Date => d instanceof Date);
    const since = times.length ? new Date(Math.max(...times.map((d) => d.getTime()))) : null;
    return countNewLabels(this.options.db, since);
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

/** Worker epochs → the 10%..95% stretch of the overall progress. */
function epochProgress(p: EpochProgress): TrainingProgress {
  return {
    fraction: 0.1 + 0.85 * Math.min(1, p.epoch / p.epochs),
    epoch: p.epoch,
    epochs: p.epochs,
    loss: p.loss,
    ...(Number.isFinite(p.holdoutAccuracy) ? { holdoutAccuracy: p.holdoutAccuracy } : {}),
    etaSeconds: p.etaSeconds,
  };
}

/** What the learning loop is asked, what it answers, and the settings it runs with. */
import type { Worker } from 'node:worker_threads';
import type { TrainingOutcome, TrainingProgress } from '../features/training/types.ts';
import type { ImageLimits } from '../images/decode.ts';
import type { BackendName } from '../model/backend.ts';
import type { ServingModel } from '../model/serving-model.ts';
import type { ConsensusOptions } from '../storage/consensus.ts';
import type { Database } from '../storage/database.ts';
import type { ModelVersionRecord } from '../storage/model-versions.ts';
import type { FineTuneOptions } from '../training/fine-tune/backbone-fine-tuner.ts';
import type { TrainingInput } from '../training/pipeline.ts';

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
  model: ServingModel;
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

/** What a job (a retrain or a backbone switch) gets from the loop that runs it. */
export interface LoopJob {
  options: LearningLoopOptions;
  /** Progress for the requester and for `status()`. */
  report: (p: TrainingProgress) => void;
  /** From the moment this is called, `close()` aborts the job through the returned signal. */
  abortable: () => AbortSignal;
  /** Where the backbone entries (models/<id>.model.json) are. */
  entriesDir: string;
}

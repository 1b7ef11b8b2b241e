/** What the learning loop plugs into the bot: retraining, rollback and backbone switches with their progress. */

/** Progress of one training run, as the learning loop reports it. */
export interface TrainingProgress {
  /** 0..1 */
  fraction: number;
  epoch?: number;
  epochs?: number;
  loss?: number;
  holdoutAccuracy?: number;
  etaSeconds?: number;
  /** A backbone switch: re-embedding the stored photos (`done` of `total`), then training. */
  stage?: 'embedding' | 'training';
  done?: number;
  total?: number;
}

export interface TrainingOutcome {
  status: 'promoted' | 'rejected' | 'skipped';
  version?: string;
  /** Why it was rejected or skipped, in words for people. */
  reason?: string;
  metrics?: Record<string, unknown>;
}

/**
 * What the learning loop (issue 4) plugs into the bot. Absent until then: /retrain and /model rollback say
 * honestly that training is not available.
 */
export interface TrainingControl {
  /** Null when idle. */
  current(): TrainingProgress | null;
  retrain(request: {
    requestedBy: string;
    guildId: string | null;
    onProgress?: (p: TrainingProgress) => void;
  }): Promise<TrainingOutcome>;
  rollback(version: string, requestedBy: string): Promise<{ activeVersion: string }>;
  /**
   * Switches the serving backbone to another models/<id>.model.json entry (re-embeds the stored photos, trains,
   * gates and swaps like a retrain). Absent where this deployment cannot (the queued trainer).
   */
  switchBackbone?(request: {
    backboneId: string;
    requestedBy: string;
    onProgress?: (p: TrainingProgress) => void;
  }): Promise<TrainingOutcome>;
  /** The backbone entry ids a switch accepts. */
  backboneEntries?(): string[];
}

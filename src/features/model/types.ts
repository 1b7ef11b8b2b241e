/** The serving model and its version history, as `/model info` shows them. */

export interface ModelVersionInfo {
  version: string;
  status: string;
  createdAt: Date;
  parent: string | null;
  metrics: Record<string, unknown> | null;
  /** Why it was rejected, retired or rolled back to. */
  reason: string | null;
}

export interface ModelInfo {
  activeVersion: string;
  backend: string;
  /** What runs the dog detector; null when DETECTOR is off. */
  detector: string | null;
  backboneId: string;
  breeds: number;
  history: ModelVersionInfo[];
}

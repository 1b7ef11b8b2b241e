/** The training worker's epochs as a share of a whole run's progress. */
import type { TrainingProgress } from '../features/training/types.ts';
import type { EpochProgress } from '../training/types.ts';

/** Worker epochs → the 10%..95% stretch of the overall progress. */
export function epochProgress(p: EpochProgress): TrainingProgress {
  return {
    fraction: 0.1 + 0.85 * Math.min(1, p.epoch / p.epochs),
    epoch: p.epoch,
    epochs: p.epochs,
    loss: p.loss,
    ...(Number.isFinite(p.holdoutAccuracy) ? { holdoutAccuracy: p.holdoutAccuracy } : {}),
    etaSeconds: p.etaSeconds,
  };
}

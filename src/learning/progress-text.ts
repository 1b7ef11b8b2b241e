/** Plain-text renderings of training progress and outcomes, for the CLI and logs. */
import type { TrainingProgress } from '../features/training/types.ts';
import type { RetrainResult } from './learning-loop.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** e.g. "▓▓▓▓▓▓▓▓░░░░░░░░ 50% epoch 7/14, loss 0.41, holdout 88%" */
export function progressBar(p: TrainingProgress, width = 16): string {
  const fraction = Math.min(1, Math.max(0, p.fraction));
  const filled = Math.round(fraction * width);
  const parts = [`${'▓'.repeat(filled)}${'░'.repeat(width - filled)} ${Math.round(fraction * 100)}%`];
  const details: string[] = [];
  if (p.stage === 'embedding' && p.total !== undefined)
    details.push(`re-embedded ${p.done ?? 0}/${p.total} photos`);
  if (p.epoch !== undefined) details.push(`epoch ${p.epoch}/${p.epochs ?? '?'}`);
  if (p.loss !== undefined) details.push(`loss ${p.loss.toFixed(2)}`);
  if (p.holdoutAccuracy !== undefined) details.push(`holdout ${Math.round(p.holdoutAccuracy * 100)}%`);
  if (details.length) parts.push(details.join(', '));
  return parts.join(' ');
}

export function resultText(r: RetrainResult): string {
  const stageTwo = r.metrics?.fineTune as { reason?: string } | undefined;
  const main = mainResultText(r);
  return stageTwo?.reason ? `${main}\n  second stage (backbone): ${stageTwo.reason}` : main;
}

function mainResultText(r: RetrainResult): string {
  const scores =
    r.before && r.after
      ? ` holdout top-1 ${pct(r.before.top1)} → ${pct(r.after.top1)}, top-5 ${pct(r.before.top5)} → ${pct(r.after.top5)}`
      : '';
  switch (r.status) {
    case 'promoted':
      return `promoted ${r.version}:${scores} (${r.labels} labels, trained in ${r.trainSeconds?.toFixed(1)} s)`;
    case 'rejected':
      return `rejected ${r.version}; the active model stays:\n  - ${(r.reasons ?? []).join('\n  - ')}`;
    case 'failed':
      return `training failed: ${r.reason}`;
    default:
      return `nothing to train: ${r.reason}`;
  }
}

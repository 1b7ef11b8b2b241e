/** Whether a trained candidate may replace the active head. Every check explains itself in `reasons`. */
import type { GuardResult, HeadMetrics } from './evaluate.ts';

export interface PromotionPolicy {
  /** Holdout top-1 may drop by at most this much (fraction; default 0: must not drop). */
  maxTop1Drop: number;
  /** Holdout cross-entropy may rise by at most this much (nats): catches candidates that learnt noise. */
  maxLossRise: number;
  /** The forgetting guard: minimum top-1 agreement with the active head on reference images of other breeds. */
  minGuardAgreement: number;
  /**
   * The candidate must reproduce at least this share of its own training labels. Labels that even the model
   * trained on them cannot fit are mostly noise (shuffled, spam); learning from them is refused.
   */
  minTrainFit: number;
  /** Below this many reference images the guard cannot judge; the candidate is rejected. */
  minGuardImages: number;
}

export const defaultPromotionPolicy: PromotionPolicy = {
  maxTop1Drop: 0,
  maxLossRise: 0,
  minGuardAgreement: 0.9,
  minGuardImages: 20,
  minTrainFit: 0.5,
};

export interface PromotionDecision {
  promote: boolean;
  reasons: string[];
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Holdout metrics of the candidate, plus its top-1 on its own training labels when known. */
export type CandidateMetrics = HeadMetrics & { trainFit?: number };

export function decidePromotion(
  candidate: CandidateMetrics,
  active: HeadMetrics,
  guard: GuardResult,
  policy: Partial<PromotionPolicy> = {},
): PromotionDecision {
  const p = { ...defaultPromotionPolicy, ...policy };
  const failures: string[] = [];
  const passes: string[] = [];

  if (candidate.nonFinite) failures.push('the candidate has NaN or infinite weights or outputs');
  if (candidate.count === 0) failures.push('there is no holdout to evaluate the candidate on');

  if (candidate.trainFit !== undefined) {
    const fitText = `fits ${pct(candidate.trainFit)} of its training labels (minimum ${pct(p.minTrainFit)})`;
    if (candidate.trainFit < p.minTrainFit) failures.push(`${fitText}: the labels look like noise`);
    else passes.push(fitText);
  }

  const drop = active.top1 - candidate.top1;
  const top1Text = `holdout top-1 ${pct(active.top1)} → ${pct(candidate.top1)} on ${candidate.count} images`;
  if (candidate.count > 0 && drop > p.maxTop1Drop + 1e-9) failures.push(`${top1Text}: it dropped`);
  else if (candidate.count > 0) passes.push(top1Text);

  const lossText = `holdout cross-entropy ${active.loss.toFixed(3)} → ${candidate.loss.toFixed(3)}`;
  if (candidate.count > 0 && !(candidate.loss <= active.loss + p.maxLossRise))
    failures.push(`${lossText}: it rose`);
  else if (candidate.count > 0) passes.push(lossText);

  if (guard.count < p.minGuardImages) {
    failures.push(
      `forgetting guard: only ${guard.count} reference images of other breeds (need ${p.minGuardImages})`,
    );
  } else {
    const thieves = guard.topThieves.map((t) => `${t.breed} ×${t.count}`).join(', ');
    const text =
      `forgetting guard: ${pct(guard.agreement)} agreement with the active model on ${guard.count} images of ` +
      `other breeds (minimum ${pct(p.minGuardAgreement)})`;
    if (guard.agreement < p.minGuardAgreement)
      failures.push(`${text}${thieves ? `; taken by ${thieves}` : ''}`);
    else passes.push(text);
  }
  return failures.length ? { promote: false, reasons: failures } : { promote: true, reasons: passes };
}

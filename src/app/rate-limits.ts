import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../refusals.ts';

export type LimitedAction = 'classify' | 'label';

export interface RateLimitSettings {
  /** Requests per minute; 0 turns that limit off. */
  classifyPerUser: number;
  classifyPerGuild: number;
  labelPerUser: number;
  labelPerGuild: number;
}

export type RateLimitName = keyof RateLimitSettings;
export const RATE_LIMIT_NAMES: readonly RateLimitName[] = [
  'classifyPerUser',
  'classifyPerGuild',
  'labelPerUser',
  'labelPerGuild',
];

/** A server's own limits; null (or absent) = the configured default. */
export type RateLimitOverrides = { [K in RateLimitName]?: number | null };

/**
 * Per-person and per-server budgets (per minute, in memory: one bot process). Issue 6's scale-out can swap in
 * rate-limiter-flexible's Redis or Postgres limiter behind the same `consume`.
 *
 * A RateLimiterMemory has fixed points, so there is one limiter per action, scope and points value, made on
 * first use: servers with the same limit share it (keys are still per person or per server). Changing a
 * server's limit moves it to another limiter, which starts its minute afresh.
 */
export class RateLimits {
  private readonly limiters = new Map<string, RateLimiterMemory>();

  constructor(readonly defaults: RateLimitSettings) {}

  /** The limits that apply with these overrides. */
  effective(overrides: RateLimitOverrides = {}): RateLimitSettings {
    const pick = (name: RateLimitName) => overrides[name] ?? this.defaults[name];
    return {
      classifyPerUser: pick('classifyPerUser'),
      classifyPerGuild: pick('classifyPerGuild'),
      labelPerUser: pick('labelPerUser'),
      labelPerGuild: pick('labelPerGuild'),
    };
  }

  /**
   * Spends one point for the person and one for the server, or throws a polite RateLimitedError.
   * `overrides`: the server's own limits, if it set any.
   */
  async consume(
    action: LimitedAction,
    userId: string,
    guildId: string | null,
    overrides: RateLimitOverrides = {},
  ): Promise<void> {
    const limits = this.effective(overrides);
    const perUser = action === 'classify' ? limits.classifyPerUser : limits.labelPerUser;
    const perGuild = action === 'classify' ? limits.classifyPerGuild : limits.labelPerGuild;
    await this.spend(action, 'user', perUser, userId);
    if (guildId) await this.spend(action, 'guild', perGuild, guildId);
  }

  private limiter(action: LimitedAction, scope: 'user' | 'guild', points: number): RateLimiterMemory {
    const key = `${action}:${scope}:${points}`;
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points, duration: 60, keyPrefix: key });
      this.limiters.set(key, limiter);
    }
    return limiter;
  }

  private async spend(action: LimitedAction, scope: 'user' | 'guild', points: number, id: string) {
    if (points <= 0) return;
    try {
      await this.limiter(action, scope, points).consume(id);
    } catch (e) {
      if (e instanceof RateLimiterRes) throw new RateLimitedError(scope, e.msBeforeNext);
      throw e;
    }
  }
}

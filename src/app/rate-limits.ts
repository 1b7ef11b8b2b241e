import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from './errors.ts';

export type LimitedAction = 'classify' | 'label';

export interface RateLimitSettings {
  /** Requests per minute; 0 turns that limit off. */
  classifyPerUser: number;
  classifyPerGuild: number;
  labelPerUser: number;
  labelPerGuild: number;
}

/**
 * Per-person and per-server budgets (per minute, in memory: one bot process). Issue 6's scale-out can swap in
 * rate-limiter-flexible's Redis or Postgres limiter behind the same `consume`.
 */
export class RateLimits {
  private readonly limiters = new Map<string, RateLimiterMemory>();

  constructor(private readonly settings: RateLimitSettings) {
    const add = (key: string, points: number) => {
      if (points > 0) this.limiters.set(key, new RateLimiterMemory({ points, duration: 60, keyPrefix: key }));
    };
    add('classify:user', settings.classifyPerUser);
    add('classify:guild', settings.classifyPerGuild);
    add('label:user', settings.labelPerUser);
    add('label:guild', settings.labelPerGuild);
  }

  /** Spends one point for the person and one for the server, or throws a polite RateLimitedError. */
  async consume(action: LimitedAction, userId: string, guildId: string | null): Promise<void> {
    await this.spend(`${action}:user`, userId, 'user');
    if (guildId) await this.spend(`${action}:guild`, guildId, 'guild');
  }

  private async spend(limiterKey: string, id: string, scope: 'user' | 'guild'): Promise<void> {
    const limiter = this.limiters.get(limiterKey);
    if (!limiter) return;
    try {
      await limiter.consume(id);
    } catch (e) {
      if (e instanceof RateLimiterRes) throw new RateLimitedError(scope, e.msBeforeNext);
      throw e;
    }
  }
}

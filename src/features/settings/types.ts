/** A server's settings as the application reads and changes them. */
import type { RateLimitName } from '../../app/rate-limits.ts';

export interface GuildSettingsView {
  moderatorRoleId: string | null;
  autoClassify: boolean;
  /** Empty: every channel. */
  enabledChannelIds: string[];
  /** The server's own limits per minute (0 = off); null = the configured default applies. */
  rateLimits: Record<RateLimitName, number | null>;
}

/** One rate limit as it applies to a server: the per-minute figure (0 = off) and where it comes from. */
export interface RateLimitView {
  perMinute: number;
  isDefault: boolean;
}

/** A server's settings with the effective rate limits, for `/settings` to show. */
export interface GuildSettingsReport extends Omit<GuildSettingsView, 'rateLimits'> {
  rateLimits: Record<RateLimitName, RateLimitView>;
}

/** A change to a server's settings; absent fields stay as they are, a null rate limit returns to the default. */
export interface GuildSettingsChange {
  enabledChannelIds?: string[];
  moderatorRoleId?: string | null;
  autoClassify?: boolean;
  rateLimits?: Partial<Record<RateLimitName, number | null>>;
}

/** What `/settings channel` did to the list of auto-classified channels. */
export type ChannelChange = 'added' | 'removed' | 'already-listed' | 'not-listed';

/**
 * A server's settings: read through a short cache (other processes' changes show within SETTINGS_CACHE_MS),
 * changed one read-modify-write at a time, reported with the effective rate limits.
 */
import { RATE_LIMIT_NAMES, type LimitedAction, type RateLimits } from '../../app/rate-limits.ts';
import type { Store } from '../../app/store.ts';
import { UserFacingError } from '../../refusals.ts';
import { checkSettingsChange } from './check-change.ts';
import type { ChannelChange, GuildSettingsChange, GuildSettingsReport, GuildSettingsView } from './types.ts';

/** How long a server's settings are reused before asking the database again (other processes' changes). */
export const SETTINGS_CACHE_MS = 15_000;

export const DEFAULT_SETTINGS: GuildSettingsView = {
  moderatorRoleId: null,
  autoClassify: true,
  enabledChannelIds: [],
  rateLimits: { classifyPerUser: null, classifyPerGuild: null, labelPerUser: null, labelPerGuild: null },
};

export class GuildSettings {
  private readonly cache = new Map<string, { view: GuildSettingsView; expiresAt: number }>();
  /** Bumped by every change, so a read that started before it cannot put older settings back in the cache. */
  private readonly generation = new Map<string, number>();
  /** Changes to one server's settings run one after the other (read, modify, write). */
  private readonly writes = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly limits: RateLimits,
  ) {}

  async of(guildId: string | null): Promise<GuildSettingsView> {
    if (!guildId) return DEFAULT_SETTINGS;
    const cached = this.cache.get(guildId);
    if (cached && cached.expiresAt > Date.now()) return cached.view;
    const generation = this.generation.get(guildId) ?? 0;
    const view = (await this.store.guildSettings(guildId)) ?? DEFAULT_SETTINGS;
    if ((this.generation.get(guildId) ?? 0) === generation)
      this.cache.set(guildId, { view, expiresAt: Date.now() + SETTINGS_CACHE_MS });
    return view;
  }

  /** Spends the person's and the server's budget under the server's own limits, if it set any. */
  async consume(action: LimitedAction, userId: string, guildId: string | null): Promise<void> {
    const overrides = guildId ? (await this.of(guildId)).rateLimits : {};
    await this.limits.consume(action, userId, guildId, overrides);
  }

  async report(guildId: string): Promise<GuildSettingsReport> {
    return this.reportOf(await this.of(guildId));
  }

  update(guildId: string, change: GuildSettingsChange): Promise<GuildSettingsReport> {
    checkSettingsChange(change);
    return this.change(guildId, async () => {
      const view = await this.store.updateGuildSettings(guildId, change);
      return { view, result: this.reportOf(view) };
    });
  }

  /**
   * Adds a channel to, or removes it from, the auto-classified channels. An empty list means every channel:
   * disabling one channel then cannot be expressed and is refused with an explanation.
   */
  setChannelEnabled(
    guildId: string,
    channelId: string,
    enabled: boolean,
  ): Promise<{ change: ChannelChange; settings: GuildSettingsReport }> {
    checkSettingsChange({ enabledChannelIds: [channelId] });
    return this.change(guildId, async (current) => {
      const listed = current.enabledChannelIds;
      let change: ChannelChange;
      let channels: string[];
      if (enabled) {
        change = listed.includes(channelId) ? 'already-listed' : 'added';
        channels = listed.includes(channelId) ? listed : [...listed, channelId];
      } else if (listed.length === 0) {
        throw new UserFacingError(
          'bad-argument',
          'No channel is listed, so photos are classified in every channel: one channel cannot be switched ' +
            'off on its own. List the channels that should classify (the others then stay quiet), or turn ' +
            'auto-classify off everywhere.',
          { reason: { kind: 'channel-list-empty' } },
        );
      } else {
        change = listed.includes(channelId) ? 'removed' : 'not-listed';
        channels = listed.filter((c) => c !== channelId);
      }
      checkSettingsChange({ enabledChannelIds: channels });
      const view = await this.store.updateGuildSettings(guildId, { enabledChannelIds: channels });
      return { view, result: { change, settings: this.reportOf(view) } };
    });
  }

  private reportOf(view: GuildSettingsView): GuildSettingsReport {
    const effective = this.limits.effective(view.rateLimits);
    const rateLimits = Object.fromEntries(
      RATE_LIMIT_NAMES.map((name) => [
        name,
        { perMinute: effective[name], isDefault: view.rateLimits[name] === null },
      ]),
    ) as GuildSettingsReport['rateLimits'];
    return { ...view, rateLimits };
  }

  /** Runs one read-modify-write of a server's settings after the previous one, then refreshes the cache. */
  private change<T>(
    guildId: string,
    write: (current: GuildSettingsView) => Promise<{ view: GuildSettingsView; result: T }>,
  ): Promise<T> {
    const previous = this.writes.get(guildId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const current = (await this.store.guildSettings(guildId)) ?? DEFAULT_SETTINGS;
        const { view, result } = await write(current);
        this.generation.set(guildId, (this.generation.get(guildId) ?? 0) + 1);
        this.cache.set(guildId, { view, expiresAt: Date.now() + SETTINGS_CACHE_MS });
        return result;
      });
    this.writes.set(guildId, next);
    const forget = () => {
      if (this.writes.get(guildId) === next) this.writes.delete(guildId);
    };
    next.then(forget, forget);
    return next;
  }
}

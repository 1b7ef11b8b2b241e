/** Per-guild settings, with defaults for guilds that never changed anything. */
import type { GuildSettingsView } from '../features/settings/types.ts';
import type { Database } from './database.ts';

type RateLimitName = keyof GuildSettingsView['rateLimits'];

/** The server's own limits per minute as stored, one column per rate limit; null = the configured default. */
export type RateLimitColumns = { [Name in RateLimitName as `${Name}PerMin`]: number | null };

/** A rate limit's column: `classifyPerUser` is stored as `classifyPerUserPerMin`. */
export const rateLimitColumn = <Name extends RateLimitName>(name: Name): `${Name}PerMin` => `${name}PerMin`;

/** The settings feature's GuildSettingsView as stored: its rate limits by column, for one guild. */
export interface GuildSettingsRecord extends Omit<GuildSettingsView, 'rateLimits'> {
  guildId: string;
  rateLimits: RateLimitColumns;
  /** False when these are the defaults (nothing stored yet). */
  stored: boolean;
}

export type GuildSettingsPatch = Partial<
  Pick<GuildSettingsRecord, 'enabledChannelIds' | 'moderatorRoleId' | 'autoClassify'>
> & {
  rateLimits?: Partial<RateLimitColumns>;
};

const noOverrides: RateLimitColumns = {
  classifyPerUserPerMin: null,
  classifyPerGuildPerMin: null,
  labelPerUserPerMin: null,
  labelPerGuildPerMin: null,
};

export const defaultGuildSettings = (guildId: string): GuildSettingsRecord => ({
  guildId,
  enabledChannelIds: [],
  moderatorRoleId: null,
  autoClassify: true,
  rateLimits: { ...noOverrides },
  stored: false,
});

type Row = {
  guildId: string;
  enabledChannelIds: unknown;
  moderatorRoleId: string | null;
  autoClassify: boolean;
} & RateLimitColumns;

const toRecord = (row: Row): GuildSettingsRecord => ({
  guildId: row.guildId,
  enabledChannelIds: Array.isArray(row.enabledChannelIds)
    ? row.enabledChannelIds.filter((c): c is string => typeof c === 'string')
    : [],
  moderatorRoleId: row.moderatorRoleId,
  autoClassify: row.autoClassify,
  rateLimits: {
    classifyPerUserPerMin: row.classifyPerUserPerMin,
    classifyPerGuildPerMin: row.classifyPerGuildPerMin,
    labelPerUserPerMin: row.labelPerUserPerMin,
    labelPerGuildPerMin: row.labelPerGuildPerMin,
  },
  stored: true,
});

export async function getGuildSettings(db: Database, guildId: string): Promise<GuildSettingsRecord> {
  const row = await db.prisma.guildSettings.findUnique({ where: { guildId } });
  return row ? toRecord(row) : defaultGuildSettings(guildId);
}

function checkLimit(name: string, value: number | null | undefined): void {
  if (
    value !== null &&
    value !== undefined &&
    !(Number.isInteger(value) && value >= 0 && value <= 1_000_000)
  ) {
    throw new Error(`${name} must be a whole number from 0 to 1000000 (or null for the default)`);
  }
}

export async function updateGuildSettings(
  db: Database,
  guildId: string,
  patch: GuildSettingsPatch,
): Promise<GuildSettingsRecord> {
  for (const [name, value] of Object.entries(patch.rateLimits ?? {})) checkLimit(name, value);
  const data = {
    ...(patch.enabledChannelIds !== undefined
      ? { enabledChannelIds: [...new Set(patch.enabledChannelIds)] }
      : {}),
    ...(patch.moderatorRoleId !== undefined ? { moderatorRoleId: patch.moderatorRoleId } : {}),
    ...(patch.autoClassify !== undefined ? { autoClassify: patch.autoClassify } : {}),
    ...(patch.rateLimits ?? {}),
  };
  const row = await db.prisma.guildSettings.upsert({
    where: { guildId },
    create: { guildId, enabledChannelIds: [], ...data },
    update: data,
  });
  return toRecord(row);
}

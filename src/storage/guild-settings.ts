/** Per-guild settings, with defaults for guilds that never changed anything. */
import type { Database } from './database.ts';

export interface RateLimitOverrides {
  /** Per minute; null = the configured default. */
  classifyPerUserPerMin: number | null;
  classifyPerGuildPerMin: number | null;
  labelPerUserPerMin: number | null;
  labelPerGuildPerMin: number | null;
}

export interface GuildSettingsRecord {
  guildId: string;
  /** Empty: every channel. */
  enabledChannelIds: string[];
  moderatorRoleId: string | null;
  autoClassify: boolean;
  rateLimits: RateLimitOverrides;
  /** False when these are the defaults (nothing stored yet). */
  stored: boolean;
}

export type GuildSettingsPatch = Partial<
  Pick<GuildSettingsRecord, 'enabledChannelIds' | 'moderatorRoleId' | 'autoClassify'>
> & {
  rateLimits?: Partial<RateLimitOverrides>;
};

const noOverrides: RateLimitOverrides = {
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
} & RateLimitOverrides;

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

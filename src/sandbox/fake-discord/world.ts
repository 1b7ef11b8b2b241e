import {
  ChannelType,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  GuildHubType,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  GuildSystemChannelFlags,
  GuildVerificationLevel,
  PermissionFlagsBits,
  ThreadAutoArchiveDuration,
  type ChannelFlags,
  type GuildMemberFlags,
  type RoleFlags,
  type UserFlags,
  type APIGuild,
  type APIGuildMember,
  type APIRole,
  type APITextChannel,
  type APIUser,
} from 'discord-api-types/v10';
import { snowflake } from './snowflake.ts';

/** The people (and the bot) that exist in the fake. Keys are how tests and the page name them. */
export const PERSON_NAMES = ['alice', 'bob', 'carol', 'moderator', 'newbie', 'owner'] as const;
export type PersonKey = (typeof PERSON_NAMES)[number];
export type UserKey = PersonKey | 'bot';

export interface GuildSpec {
  name: string;
  /** Text channel names; the first one is the system channel. */
  channels: string[];
}

export const DEFAULT_GUILDS: GuildSpec[] = [
  { name: 'Dog Park', channels: ['general', 'dog-photos'] },
  { name: 'Cat Cafe', channels: ['lobby'] },
];

export interface FakeGuild {
  guild: APIGuild;
  channels: APITextChannel[];
  members: Map<string, APIGuildMember>;
  everyoneRole: APIRole;
  moderatorRole: APIRole;
  botRole: APIRole;
  joinedAt: string;
}

const P = PermissionFlagsBits;
const EVERYONE_PERMISSIONS =
  P.ViewChannel |
  P.SendMessages |
  P.ReadMessageHistory |
  P.AddReactions |
  P.AttachFiles |
  P.EmbedLinks |
  P.UseApplicationCommands |
  P.UseExternalEmojis |
  P.CreateInstantInvite |
  P.ChangeNickname |
  P.SendMessagesInThreads |
  P.CreatePublicThreads;
const MODERATOR_PERMISSIONS = P.ManageGuild | P.ManageMessages | P.ModerateMembers | P.KickMembers;
// MentionEveryone is granted so that a reply that would ping @everyone really would: tests can catch it.
const BOT_PERMISSIONS = EVERYONE_PERMISSIONS | P.ManageMessages | P.MentionEveryone;

function user(username: string, globalName: string, bot = false): APIUser {
  return {
    id: snowflake(),
    username,
    global_name: globalName,
    discriminator: bot ? '0001' : '0',
    avatar: null,
    public_flags: 0 as UserFlags,
    flags: 0 as UserFlags,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
    ...(bot ? { bot: true } : {}),
  };
}

export function createUsers(): Record<UserKey, APIUser> {
  return {
    bot: user('breedbot', 'breedbot', true),
    alice: user('alice', 'Alice'),
    bob: user('bob', 'Bob'),
    carol: user('carol', 'Carol'),
    moderator: user('mod_mia', 'Mia (moderator)'),
    newbie: user('newbie', 'Ned (no rights)'),
    owner: user('owner', 'Olga (owner)'),
  };
}

function role(id: string, name: string, permissions: bigint, position: number, managed = false): APIRole {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: permissions.toString(),
    managed,
    mentionable: false,
    flags: 0 as RoleFlags,
  };
}

function member(u: APIUser, roles: string[], joinedAt: string): APIGuildMember {
  return {
    user: u,
    nick: null,
    avatar: null,
    banner: null,
    roles,
    joined_at: joinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0 as GuildMemberFlags,
    pending: false,
    communication_disabled_until: null,
  };
}

/**
 * `index` spreads guild ids over consecutive milliseconds, so that with N shards (shard = (id >> 22) % N)
 * consecutive guilds land on different shards.
 */
export function createGuild(
  spec: GuildSpec,
  users: Record<UserKey, APIUser>,
  index: number,
  epoch: number,
): FakeGuild {
  const isMain = index === 0;
  const id = snowflake(epoch + index);
  const joinedAt = new Date().toISOString();
  const everyoneRole = role(id, '@everyone', EVERYONE_PERMISSIONS, 0);
  const moderatorRole = role(snowflake(), 'Moderators', MODERATOR_PERMISSIONS, 2);
  const botRole = role(snowflake(), 'breedbot', BOT_PERMISSIONS, 1, true);
  const channels: APITextChannel[] = spec.channels.map((name, position) => ({
    id: snowflake(),
    type: ChannelType.GuildText,
    guild_id: id,
    name,
    position,
    permission_overwrites: [],
    nsfw: false,
    parent_id: null,
    topic: null,
    last_message_id: null,
    last_pin_timestamp: null,
    rate_limit_per_user: 0,
    default_auto_archive_duration: ThreadAutoArchiveDuration.ThreeDays,
    default_thread_rate_limit_per_user: 0,
    flags: 0 as ChannelFlags,
  }));
  const members = new Map<string, APIGuildMember>();
  for (const [key, u] of Object.entries(users) as [UserKey, APIUser][]) {
    const roles = key === 'bot' ? [botRole.id] : key === 'moderator' && isMain ? [moderatorRole.id] : [];
    members.set(u.id, member(u, roles, joinedAt));
  }
  const guild: APIGuild = {
    id,
    name: spec.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: users.owner.id,
    region: 'europe',
    afk_channel_id: null,
    afk_timeout: 300,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: GuildVerificationLevel.Low,
    default_message_notifications: GuildDefaultMessageNotifications.OnlyMentions,
    explicit_content_filter: GuildExplicitContentFilter.AllMembers,
    roles: [everyoneRole, botRole, moderatorRole],
    emojis: [],
    features: [],
    mfa_level: GuildMFALevel.None,
    application_id: null,
    system_channel_id: channels[0]?.id ?? null,
    system_channel_flags: GuildSystemChannelFlags.SuppressJoinNotifications,
    rules_channel_id: null,
    max_presences: null,
    max_members: 500000,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: GuildPremiumTier.None,
    premium_subscription_count: 0,
    preferred_locale: 'en-US' as APIGuild['preferred_locale'],
    public_updates_channel_id: null,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    nsfw_level: GuildNSFWLevel.Default,
    stickers: [],
    premium_progress_bar_enabled: false,
    hub_type: null as GuildHubType | null,
    safety_alerts_channel_id: null,
    incidents_data: null,
  };
  return { guild, channels, members, everyoneRole, moderatorRole, botRole, joinedAt };
}

/** A member's guild-wide permissions as Discord computes them (owner and Administrator get everything). */
export function memberPermissions(g: FakeGuild, userId: string): bigint {
  if (g.guild.owner_id === userId) return allPermissions();
  const m = g.members.get(userId);
  if (!m) return 0n;
  let bits = BigInt(g.everyoneRole.permissions);
  for (const roleId of m.roles) {
    const r = g.guild.roles.find((x) => x.id === roleId);
    if (r) bits |= BigInt(r.permissions);
  }
  return bits & P.Administrator ? allPermissions() : bits;
}

function allPermissions(): bigint {
  return Object.values(P).reduce((all, bit) => all | bit, 0n);
}

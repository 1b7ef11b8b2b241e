import { PermissionFlagsBits, type APIAllowedMentions, type APIUser } from 'discord-api-types/v10';
import { memberPermissions, type FakeGuild } from './world.ts';

const MENTION_EVERYONE = PermissionFlagsBits.MentionEveryone;

export interface MentionContext {
  allowed?: APIAllowedMentions | null;
  authorCanMentionEveryone: boolean;
  findUser: (id: string) => APIUser | undefined;
  roleIds: Set<string>;
  /** The author of the message being replied to, if any. */
  repliedUser?: APIUser;
}

export interface Mentions {
  mentions: APIUser[];
  mention_roles: string[];
  mention_everyone: boolean;
}

/**
 * Who a message pings, following Discord's allowed_mentions rules: with no allowed_mentions every
 * mention in the content pings (and a reply pings its author); with one, only the listed kinds/ids do.
 */
export function resolveMentions(content: string, ctx: MentionContext): Mentions {
  const allowed = ctx.allowed ?? undefined;
  const parse = new Set(allowed ? (allowed.parse ?? []) : ['users', 'roles', 'everyone']);
  const allowUser = (id: string) => parse.has('users') || (allowed?.users ?? []).includes(id);
  const allowRole = (id: string) => parse.has('roles') || (allowed?.roles ?? []).includes(id);

  const users = new Map<string, APIUser>();
  for (const [, id] of content.matchAll(/<@!?(\d+)>/g)) {
    const u = id ? ctx.findUser(id) : undefined;
    if (u && allowUser(u.id)) users.set(u.id, u);
  }
  const repliedUserPings = allowed ? allowed.replied_user === true : true;
  if (ctx.repliedUser && repliedUserPings) users.set(ctx.repliedUser.id, ctx.repliedUser);

  const roles = new Set<string>();
  for (const [, id] of content.matchAll(/<@&(\d+)>/g))
    if (id && ctx.roleIds.has(id) && allowRole(id)) roles.add(id);

  const mentionEveryone =
    /@(everyone|here)/.test(content) && parse.has('everyone') && ctx.authorCanMentionEveryone;
  return { mentions: [...users.values()], mention_roles: [...roles], mention_everyone: mentionEveryone };
}

/** Who a message from this author in this guild pings (the replied-to message's author, when it is a reply). */
export function mentionsInGuild(
  guild: FakeGuild,
  authorId: string,
  content: string,
  allowed: MentionContext['allowed'],
  repliedUser?: APIUser,
): Mentions {
  return resolveMentions(content, {
    allowed,
    authorCanMentionEveryone: (memberPermissions(guild, authorId) & MENTION_EVERYONE) !== 0n,
    findUser: (id) => guild.members.get(id)?.user,
    roleIds: new Set(guild.guild.roles.map((r) => r.id)),
    ...(repliedUser ? { repliedUser } : {}),
  });
}

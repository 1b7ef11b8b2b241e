/**
 * ❌ ("none of these") on a bot reply: the explanation of `/label` goes to the person who reacted, in a DM, so
 * nobody else in the channel is bothered; at most once per person and reply.
 *
 * The record of who was told is kept in memory (bounded, least recently used dropped first), not in the
 * database: it only saves a repeat of a harmless hint, so a restart forgetting it costs at most one more DM per
 * person and photo, which does not justify a table and a migration. A reply's reactions always reach the shard
 * of its server, so one process sees every ❌ on it.
 */
import type { Client } from 'discord.js';
import { LRUCache } from 'lru-cache';
import { log } from '../log.ts';
import { messageLink } from './message-ref.ts';
import { NO_MENTIONS } from './render.ts';

export const NONE_OF_THESE_HELP =
  "None of these? Name the breed with `/label breed:` (it autocompletes; add `message:` with a link to the photo's reply to pick an older one, and `dog:` with the dog's number when I found several dogs in the photo). Moderators can add breeds I don't know yet.";

export const MAX_REMEMBERED_HELPS = 50_000;

export interface HelpedReply {
  guildId: string;
  channelId: string;
  messageId: string;
}

/** The DM: which photo it is about (a link to the reply), then the help. */
export function noneHelpText(reply: HelpedReply): string {
  return `About [this photo](${messageLink(reply)}): ${NONE_OF_THESE_HELP}`;
}

export class NoneHelpRecord {
  private readonly told: LRUCache<string, true>;

  constructor(max = MAX_REMEMBERED_HELPS) {
    this.told = new LRUCache({ max });
  }

  /** True the first time this person asks about this reply; false afterwards. */
  firstTime(userId: string, replyMessageId: string): boolean {
    const key = `${userId}:${replyMessageId}`;
    if (this.told.has(key)) return false;
    this.told.set(key, true);
    return true;
  }
}

/**
 * Sends the help as a DM. A person who does not take DMs from server members gets nothing rather than a
 * channel message (the help is also in the README and the command descriptions).
 */
export async function sendNoneHelp(client: Client, userId: string, reply: HelpedReply): Promise<boolean> {
  try {
    await client.users.send(userId, { content: noneHelpText(reply), allowedMentions: NO_MENTIONS });
    return true;
  } catch (err) {
    log.info({ err, userId, replyId: reply.messageId }, 'could not DM the ❌ help; nothing sent');
    return false;
  }
}

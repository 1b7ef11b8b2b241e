import type { Store } from '../../app/store.ts';
import type { AffectedReplies } from '../privacy/types.ts';

/** Moderators' purge of one person's labels in one server (the caller checks the moderator right). */
export async function purgeUserLabels(
  store: Store,
  userId: string,
  guildId: string,
): Promise<{ deleted: number } & AffectedReplies> {
  const affectedReplies = await store.repliesShowingLabelsBy(userId, guildId);
  return { ...(await store.purgeUserLabels(userId, guildId)), affectedReplies };
}

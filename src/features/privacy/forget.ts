import type { Store } from '../../app/store.ts';
import type { AffectedReplies, ForgetOutcome } from './types.ts';

/** `/forget`: the person's labels, and the images only they contributed. Callers check nothing: it is their own data. */
export async function forgetUser(store: Store, userId: string): Promise<ForgetOutcome & AffectedReplies> {
  // Read before deleting: afterwards nothing links the replies to this person.
  const affectedReplies = await store.repliesShowingLabelsBy(userId, null);
  return { ...(await store.forgetUser(userId)), affectedReplies };
}

/**
 * How much a person's labels weigh: their agreement rate with the others on images where the others agree,
 * smoothed so a newcomer starts at 1/2 and one slip does not ruin anyone: trust = (agreed + 1) / (compared + 2).
 *
 * "The others agree" = a moderator labelled the image, or the other people's labels have a strict plurality.
 * Images only this person labelled do not count (agreeing with yourself proves nothing), so spamming lone
 * images cannot buy trust, and disagreeing with what others agree on costs it.
 */

export interface Vote {
  imageId: string;
  userId: string;
  breed: string;
  /** reaction | command | moderator */
  source: string;
  updatedAt: Date;
}

export interface AgreementCounts {
  agreed: number;
  compared: number;
}

export const trustFrom = ({ agreed, compared }: AgreementCounts): number => (agreed + 1) / (compared + 2);

export const NEWCOMER_TRUST = trustFrom({ agreed: 0, compared: 0 });

export function groupByImage(votes: Vote[]): Map<string, Vote[]> {
  const byImage = new Map<string, Vote[]>();
  for (const vote of votes) {
    const list = byImage.get(vote.imageId);
    if (list) list.push(vote);
    else byImage.set(vote.imageId, [vote]);
  }
  return byImage;
}

/** The latest moderator label on an image, if any. */
export function moderatorBreed(votes: Vote[]): string | null {
  let latest: Vote | null = null;
  for (const v of votes) {
    if (v.source === 'moderator' && (!latest || v.updatedAt > latest.updatedAt)) latest = v;
  }
  return latest?.breed ?? null;
}

/** What everyone but `userId` says about the image: the moderator's breed, else a strict plurality, else null. */
export function othersConsensus(votes: Vote[], userId: string): string | null {
  const others = votes.filter((v) => v.userId !== userId);
  const moderator = moderatorBreed(others);
  if (moderator) return moderator;
  const counts = new Map<string, number>();
  for (const v of others) counts.set(v.breed, (counts.get(v.breed) ?? 0) + 1);
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  const [first, second] = ranked;
  if (!first || (second && second[1] === first[1])) return null;
  return first[0];
}

/**
 * Per user and image: did the user agree with the others there? Keyed `${userId}\n${imageId}`. Trust for an
 * image then leaves that image out (see trustExcluding).
 */
export function agreementTable(byImage: Map<string, Vote[]>): {
  perUser: Map<string, AgreementCounts>;
  perVote: Map<string, boolean>;
} {
  const perUser = new Map<string, AgreementCounts>();
  const perVote = new Map<string, boolean>();
  for (const [imageId, votes] of byImage) {
    if (votes.length < 2) continue;
    for (const vote of votes) {
      const consensus = othersConsensus(votes, vote.userId);
      if (consensus === null) continue;
      const agreed = consensus === vote.breed;
      perVote.set(`${vote.userId}\n${imageId}`, agreed);
      const counts = perUser.get(vote.userId) ?? { agreed: 0, compared: 0 };
      counts.compared++;
      if (agreed) counts.agreed++;
      perUser.set(vote.userId, counts);
    }
  }
  return { perUser, perVote };
}

/** The user's trust judged on every image except `imageId` (their vote there must not vouch for itself). */
export function trustExcluding(
  table: ReturnType<typeof agreementTable>,
  userId: string,
  imageId: string,
): number {
  const counts = table.perUser.get(userId) ?? { agreed: 0, compared: 0 };
  const here = table.perVote.get(`${userId}\n${imageId}`);
  if (here === undefined) return trustFrom(counts);
  return trustFrom({ agreed: counts.agreed - (here ? 1 : 0), compared: counts.compared - 1 });
}

/** Every user's overall trust (all images), for moderators' review. */
export function trustByUser(votes: Vote[]): Map<string, { trust: number } & AgreementCounts> {
  const { perUser } = agreementTable(groupByImage(votes));
  const users = new Set(votes.map((v) => v.userId));
  return new Map(
    [...users].map((u) => {
      const counts = perUser.get(u) ?? { agreed: 0, compared: 0 };
      return [u, { ...counts, trust: trustFrom(counts) }];
    }),
  );
}

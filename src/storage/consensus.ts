/**
 * Which breed an image is, from people's labels (issue 4 §1):
 * 1. a moderator's label wins (the latest, if several moderators labelled it);
 * 2. otherwise each distinct person votes with their trust (see trust.ts) and the heaviest breed wins;
 *    a tie stays unresolved; fewer than `minVotes` people, or supporters whose trust adds up to less than
 *    `minWeight` (a lone known spammer), leave it unresolved too.
 */
import type { CrowdAnswer } from '../features/labelling/types.ts';
import type { Database } from './database.ts';
import { agreementTable, groupByImage, moderatorBreed, trustExcluding, type Vote } from './trust.ts';

export interface ConsensusOptions {
  /** Distinct people needed before an image counts (default 1). A moderator's label always counts. */
  minVotes: number;
  /** Summed trust the winning breed needs (default 0.25; a newcomer has 0.5, a steady spammer ~0.1). */
  minWeight: number;
}

export const defaultConsensusOptions: ConsensusOptions = { minVotes: 1, minWeight: 0.25 };

export interface Resolution {
  imageId: string;
  /** Null: unresolved (tie, too few votes or too little trust). */
  breed: string | null;
  byModerator: boolean;
  /** People whose label is `breed` (or the plurality breed when unresolved). */
  votes: number;
  /** People who labelled the image. */
  voters: number;
  /** Summed trust behind `breed`. */
  weight: number;
  /** Share of all trust on the image behind `breed`, 0..1 (1: unanimous or a moderator). Training weight. */
  share: number;
}

/** Resolves every image in `votes` (pure). */
export function resolveVotes(
  votes: Vote[],
  options: Partial<ConsensusOptions> = {},
): Map<string, Resolution> {
  const { minVotes, minWeight } = { ...defaultConsensusOptions, ...options };
  const byImage = groupByImage(votes);
  const table = agreementTable(byImage);
  const resolutions = new Map<string, Resolution>();

  for (const [imageId, imageVotes] of byImage) {
    const voters = new Set(imageVotes.map((v) => v.userId)).size;
    const moderator = moderatorBreed(imageVotes);
    if (moderator) {
      const votesFor = imageVotes.filter((v) => v.breed === moderator).length;
      resolutions.set(imageId, {
        imageId,
        breed: moderator,
        byModerator: true,
        votes: votesFor,
        voters,
        weight: 1,
        share: 1,
      });
      continue;
    }
    const tally = new Map<string, { weight: number; people: number }>();
    let total = 0;
    for (const vote of imageVotes) {
      const trust = trustExcluding(table, vote.userId, imageId);
      const entry = tally.get(vote.breed) ?? { weight: 0, people: 0 };
      entry.weight += trust;
      entry.people++;
      tally.set(vote.breed, entry);
      total += trust;
    }
    const ranked = [...tally].sort((a, b) => b[1].weight - a[1].weight);
    const [first, second] = ranked;
    if (!first) continue;
    const tied = second !== undefined && Math.abs(second[1].weight - first[1].weight) < 1e-9;
    const resolved = !tied && voters >= minVotes && first[1].weight >= minWeight;
    resolutions.set(imageId, {
      imageId,
      breed: resolved ? first[0] : null,
      byModerator: false,
      votes: first[1].people,
      voters,
      weight: first[1].weight,
      share: total > 0 ? first[1].weight / total : 0,
    });
  }
  return resolutions;
}

const voteSelect = {
  imageId: true,
  userId: true,
  source: true,
  updatedAt: true,
  breed: { select: { name: true } },
} as const;

type VoteRow = { imageId: string; userId: string; source: string; updatedAt: Date; breed: { name: string } };
const toVote = (row: VoteRow): Vote => ({ ...row, breed: row.breed.name });

export interface ResolvedLabel {
  imageId: string;
  sha256: string;
  breed: string;
  votes: number;
  /** Share of the trust-weighted vote behind the breed (1 = unanimous or a moderator's). */
  weight: number;
  byModerator: boolean;
}

/** Every image with a resolved breed: the training set's labels. */
export async function resolveLabels(
  db: Database,
  options: Partial<ConsensusOptions> = {},
): Promise<ResolvedLabel[]> {
  const rows = await db.prisma.label.findMany({ select: voteSelect });
  const resolved = [...resolveVotes(rows.map(toVote), options).values()].filter((r) => r.breed !== null);
  const images = new Map<string, string>();
  const ids = resolved.map((r) => r.imageId);
  for (let i = 0; i < ids.length; i += 500) {
    for (const image of await db.prisma.image.findMany({
      where: { id: { in: ids.slice(i, i + 500) } },
      select: { id: true, sha256: true },
    })) {
      images.set(image.id, image.sha256);
    }
  }
  return resolved
    .map((r) => ({
      imageId: r.imageId,
      sha256: images.get(r.imageId) ?? '',
      breed: r.breed!,
      votes: r.votes,
      weight: r.share,
      byModerator: r.byModerator,
    }))
    .filter((r) => r.sha256)
    .sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
}

/**
 * Votes that decide one image: its own labels plus, for its voters' trust, the labels on every image they
 * labelled (trust only ever looks at images a person labelled, so this gives the same answer as resolveLabels).
 */
async function votesAround(db: Database, imageId: string): Promise<Vote[]> {
  const own = await db.prisma.label.findMany({ where: { imageId }, select: { userId: true } });
  if (own.length === 0) return [];
  const userIds = [...new Set(own.map((l) => l.userId))];
  const theirImages = await db.prisma.label.findMany({
    where: { userId: { in: userIds } },
    select: { imageId: true },
    distinct: ['imageId'],
  });
  const imageIds = theirImages.map((l) => l.imageId);
  const rows: VoteRow[] = [];
  for (let i = 0; i < imageIds.length; i += 500) {
    rows.push(
      ...(await db.prisma.label.findMany({
        where: { imageId: { in: imageIds.slice(i, i + 500) } },
        select: voteSelect,
      })),
    );
  }
  return rows.map(toVote);
}

/** The labelling feature's CrowdAnswer for a resolved image, with the summed trust behind the breed. */
export interface WeightedCrowdAnswer extends Omit<CrowdAnswer, 'split'> {
  weight: number;
}

/** What the crowd says about one image (e.g. "3 people say: Beagle"), or null when unresolved or unlabelled. */
export async function crowdAnswer(
  db: Database,
  imageId: string,
  options: Partial<ConsensusOptions> = {},
): Promise<WeightedCrowdAnswer | null> {
  const resolution = resolveVotes(await votesAround(db, imageId), options).get(imageId);
  if (!resolution?.breed) return null;
  const { breed, votes, voters, byModerator, weight } = resolution;
  return { breed, votes, voters, byModerator, weight };
}

/**
 * When the people labelling an image disagree and nothing is resolved (a tie), how many people gave each
 * breed, most first (e.g. Leonberg 1, Tibetan Mastiff 1); null when the image is resolved, unlabelled or
 * has one breed only.
 */
export async function crowdSplit(
  db: Database,
  imageId: string,
  options: Partial<ConsensusOptions> = {},
): Promise<Array<{ breed: string; votes: number }> | null> {
  const votes = await votesAround(db, imageId);
  const resolution = resolveVotes(votes, options).get(imageId);
  if (!resolution || resolution.breed) return null;
  const people = new Map<string, number>();
  for (const vote of votes)
    if (vote.imageId === imageId) people.set(vote.breed, (people.get(vote.breed) ?? 0) + 1);
  if (people.size < 2) return null;
  return [...people]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([breed, votes]) => ({ breed, votes }));
}

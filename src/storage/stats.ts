/** Figures for /stats: labels per breed, top labellers, agreement, and what the model confuses most. */
import type { GuildStats } from '../features/stats/types.ts';
import type { Database } from './database.ts';
import { resolveVotes } from './consensus.ts';

/** Stats over one guild's labels, or every label when guildId is null. */
export async function labelStats(db: Database, guildId: string | null, top = 10): Promise<GuildStats> {
  const scope = guildId === null ? {} : { guildId };
  const [labels, perBreed, perUser, scoped] = await Promise.all([
    db.prisma.label.count({ where: scope }),
    db.prisma.label.groupBy({ by: ['breedId'], where: scope, _count: { _all: true } }),
    db.prisma.label.groupBy({
      by: ['userId'],
      where: scope,
      _count: { userId: true },
      orderBy: [{ _count: { userId: 'desc' } }, { userId: 'asc' }],
      take: top,
    }),
    db.prisma.label.findMany({ where: scope, select: { imageId: true, breedId: true } }),
  ]);

  const breedNames = new Map(
    (
      await db.prisma.breed.findMany({
        where: { id: { in: perBreed.map((b) => b.breedId) } },
        select: { id: true, name: true },
      })
    ).map((b) => [b.id, b.name]),
  );
  const labelsPerBreed = perBreed
    .map((b) => ({ breed: breedNames.get(b.breedId) ?? '?', count: b._count._all }))
    .sort((a, b) => b.count - a.count || a.breed.localeCompare(b.breed));

  const breedsPerImage = new Map<string, number[]>();
  for (const l of scoped)
    breedsPerImage.set(l.imageId, [...(breedsPerImage.get(l.imageId) ?? []), l.breedId]);
  const shared = [...breedsPerImage.values()].filter((b) => b.length >= 2);
  const agreementRate = shared.length
    ? shared.filter((b) => new Set(b).size === 1).length / shared.length
    : null;

  return {
    labels,
    labelsPerBreed,
    topLabellers: perUser.map((u) => ({ userId: u.userId, count: u._count.userId })),
    agreementRate,
    agreementImages: shared.length,
    ...(await predictionVsPeople(db, [...breedsPerImage.keys()], guildId, top)),
  };
}

async function predictionVsPeople(
  db: Database,
  imageIds: string[],
  guildId: string | null,
  top: number,
): Promise<Pick<GuildStats, 'botMatch' | 'mostConfused'>> {
  if (imageIds.length === 0) return { botMatch: { matched: 0, compared: 0 }, mostConfused: [] };
  const votes = await db.prisma.label.findMany({
    where: { imageId: { in: imageIds } },
    select: { imageId: true, userId: true, source: true, updatedAt: true, breed: { select: { name: true } } },
  });
  const resolved = resolveVotes(votes.map((v) => ({ ...v, breed: v.breed.name })));
  // what the bot said first about each image (in this guild)
  const predictions = await db.prisma.prediction.findMany({
    where: { imageId: { in: imageIds }, ...(guildId === null ? {} : { guildId }) },
    select: { imageId: true, topBreed: true },
    orderBy: { createdAt: 'asc' },
  });
  const firstGuess = new Map<string, string>();
  for (const p of predictions) if (!firstGuess.has(p.imageId)) firstGuess.set(p.imageId, p.topBreed);

  const pairs = new Map<string, { predicted: string; labelled: string; count: number }>();
  const botMatch = { matched: 0, compared: 0 };
  for (const [imageId, predicted] of firstGuess) {
    const labelled = resolved.get(imageId)?.breed;
    if (!labelled) continue;
    botMatch.compared++;
    if (labelled === predicted) {
      botMatch.matched++;
      continue;
    }
    const key = `${predicted}\n${labelled}`;
    const entry = pairs.get(key) ?? { predicted, labelled, count: 0 };
    entry.count++;
    pairs.set(key, entry);
  }
  const mostConfused = [...pairs.values()]
    .sort(
      (a, b) =>
        b.count - a.count || a.predicted.localeCompare(b.predicted) || a.labelled.localeCompare(b.labelled),
    )
    .slice(0, top);
  return { botMatch, mostConfused };
}

/** Row counts, for health checks and tests ("nothing was stored"). */
export async function rowCounts(
  db: Database,
): Promise<{ images: number; predictions: number; labels: number }> {
  const [images, predictions, labels] = await Promise.all([
    db.prisma.image.count(),
    db.prisma.prediction.count(),
    db.prisma.label.count(),
  ]);
  return { images, predictions, labels };
}

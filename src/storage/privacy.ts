/**
 * People's data rights and moderators' clean-up tools: forget a person, purge a spammer's labels, review the
 * most disputed images, export everything for other tools.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DisputedImageView } from '../features/moderation/types.ts';
import type { ForgetOutcome } from '../features/privacy/types.ts';
import type { Database } from './database.ts';
import { imageFilePath } from './images.ts';
import { resolveVotes } from './consensus.ts';
import { deleteImage } from './images.ts';

/** What `/forget` did (the feature's ForgetOutcome), and what became of the person's predictions. */
export interface ForgetReport extends ForgetOutcome {
  predictionsDeleted: number;
  predictionsAnonymised: number;
}

/**
 * `/forget`: deletes the person's labels, and the images that only they contributed (posted or labelled) with
 * everything attached to them (files, predictions, embeddings). Images other people also posted or labelled
 * stay for them; the person's name is removed from the predictions there.
 */
export async function forgetUser(db: Database, userId: string): Promise<ForgetReport> {
  const [posted, labelled] = await Promise.all([
    db.prisma.prediction.findMany({ where: { userId }, select: { imageId: true } }),
    db.prisma.label.findMany({ where: { userId }, select: { imageId: true } }),
  ]);
  const theirs = [...new Set([...posted, ...labelled].map((r) => r.imageId))];

  const { count: labelsDeleted } = await db.prisma.label.deleteMany({ where: { userId } });

  let imagesDeleted = 0;
  let predictionsDeleted = 0;
  const keep: string[] = [];
  for (const imageId of theirs) {
    // A photo goes with its dogs' crops, so what others gave its crops keeps it too.
    const imageOrCrops = { OR: [{ imageId }, { image: { parentImageId: imageId } }] };
    const [othersPosted, othersLabelled] = await Promise.all([
      db.prisma.prediction.count({ where: { ...imageOrCrops, NOT: { userId } } }),
      db.prisma.label.count({ where: imageOrCrops }),
    ]);
    if (othersPosted + othersLabelled > 0) {
      keep.push(imageId);
      continue;
    }
    const image = await db.prisma.image.findUnique({
      where: { id: imageId },
      select: { id: true, sha256: true },
    });
    if (!image) continue;
    predictionsDeleted += await db.prisma.prediction.count({ where: imageOrCrops });
    await deleteImage(db, image);
    imagesDeleted++;
  }
  const { count: predictionsAnonymised } = await db.prisma.prediction.updateMany({
    where: { userId },
    data: { userId: null },
  });

  return {
    labelsDeleted,
    imagesDeleted,
    imagesKept: keep.length,
    predictionsDeleted,
    predictionsAnonymised,
  };
}

/**
 * Moderators' `/moderate purge user:`: removes every label the person gave (their images stay). With `guildId`,
 * only the labels given in that server: a moderator's reach ends at their own server.
 */
export async function purgeUserLabels(
  db: Database,
  userId: string,
  options: { guildId?: string } = {},
): Promise<{ deleted: number }> {
  const { count } = await db.prisma.label.deleteMany({
    where: { userId, ...(options.guildId ? { guildId: options.guildId } : {}) },
  });
  return { deleted: count };
}

/** A disputed image as `/moderate review` shows it (without the reply, which predictions.ts finds), and its hash. */
export interface DisputedImage extends Omit<DisputedImageView, 'reply'> {
  sha256: string;
}

/**
 * Moderators' `/moderate review`: images whose labellers disagree most (then most labellers), most disputed first.
 * With `guildId`, only that server's labels count (and are shown).
 */
export async function mostDisputedImages(
  db: Database,
  limit = 10,
  options: { guildId?: string } = {},
): Promise<DisputedImage[]> {
  const inGuild = options.guildId ? { guildId: options.guildId } : {};
  const grouped = await db.prisma.label.groupBy({
    by: ['imageId', 'breedId'],
    where: inGuild,
    _count: { _all: true },
  });
  const breedsPerImage = new Map<string, { breedId: number; votes: number }[]>();
  for (const g of grouped) {
    breedsPerImage.set(g.imageId, [
      ...(breedsPerImage.get(g.imageId) ?? []),
      { breedId: g.breedId, votes: g._count._all },
    ]);
  }
  const disputed = [...breedsPerImage]
    .filter(([, breeds]) => breeds.length >= 2)
    .map(([imageId, breeds]) => {
      const voters = breeds.reduce((n, b) => n + b.votes, 0);
      const topShare = Math.max(...breeds.map((b) => b.votes)) / voters;
      return { imageId, breeds: breeds.sort((a, b) => b.votes - a.votes), voters, topShare };
    })
    .sort((a, b) => a.topShare - b.topShare || b.voters - a.voters || (a.imageId < b.imageId ? -1 : 1))
    .slice(0, limit);
  if (disputed.length === 0) return [];

  const ids = disputed.map((d) => d.imageId);
  const [images, breeds, votes] = await Promise.all([
    db.prisma.image.findMany({ where: { id: { in: ids } }, select: { id: true, sha256: true } }),
    db.prisma.breed.findMany({ select: { id: true, name: true } }),
    db.prisma.label.findMany({
      where: { imageId: { in: ids }, ...inGuild },
      select: {
        imageId: true,
        userId: true,
        source: true,
        updatedAt: true,
        breed: { select: { name: true } },
      },
    }),
  ]);
  const sha = new Map(images.map((i) => [i.id, i.sha256]));
  const names = new Map(breeds.map((b) => [b.id, b.name]));
  const resolved = resolveVotes(votes.map((v) => ({ ...v, breed: v.breed.name })));
  return disputed.map((d) => ({
    imageId: d.imageId,
    sha256: sha.get(d.imageId) ?? '',
    voters: d.voters,
    breeds: d.breeds.map((b) => ({ breed: names.get(b.breedId) ?? '?', votes: b.votes })),
    consensus: resolved.get(d.imageId)?.breed ?? null,
  }));
}

const EXTENSIONS: Record<string, string> = {
  jpeg: 'jpg',
  jpg: 'jpg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
  tiff: 'tif',
};

export interface ExportReport {
  dir: string;
  labels: number;
  images: number;
  /** Images whose file was missing (listed in labels.jsonl without a file). */
  missingFiles: number;
}

/**
 * `npm run export`: <dir>/labels.jsonl (one label per line: image file, breed, who, source, model version,
 * times), <dir>/consensus.jsonl (the resolved breed per image) and <dir>/images/<sha256>.<ext>.
 */
export async function exportLabels(db: Database, dir: string): Promise<ExportReport> {
  const imagesDir = path.join(dir, 'images');
  await mkdir(imagesDir, { recursive: true });
  const rows = await db.prisma.label.findMany({
    include: { breed: { select: { name: true } }, image: true },
    orderBy: [{ imageId: 'asc' }, { createdAt: 'asc' }],
  });

  const files = new Map<string, string | null>();
  for (const { image } of rows) {
    if (files.has(image.id)) continue;
    const name = `${image.sha256}.${EXTENSIONS[image.format] ?? 'bin'}`;
    try {
      await copyFile(imageFilePath(db.imagesDir, image.sha256), path.join(imagesDir, name));
      files.set(image.id, `images/${name}`);
    } catch {
      files.set(image.id, null);
    }
  }

  const labelLines = rows.map((l) =>
    JSON.stringify({
      imageId: l.imageId,
      sha256: l.image.sha256,
      file: files.get(l.imageId),
      width: l.image.width,
      height: l.image.height,
      breed: l.breed.name,
      userId: l.userId,
      source: l.source,
      guildId: l.guildId,
      modelVersion: l.modelVersion,
      createdAt: l.createdAt.toISOString(),
      updatedAt: l.updatedAt.toISOString(),
    }),
  );
  await writeFile(path.join(dir, 'labels.jsonl'), labelLines.length ? `${labelLines.join('\n')}\n` : '');

  const resolved = resolveVotes(rows.map((l) => ({ ...l, breed: l.breed.name })));
  const consensusLines = [...resolved.values()]
    .filter((r) => r.breed)
    .map((r) =>
      JSON.stringify({
        imageId: r.imageId,
        file: files.get(r.imageId),
        breed: r.breed,
        votes: r.votes,
        voters: r.voters,
        byModerator: r.byModerator,
      }),
    );
  await writeFile(
    path.join(dir, 'consensus.jsonl'),
    consensusLines.length ? `${consensusLines.join('\n')}\n` : '',
  );

  const exported = [...files.values()];
  return {
    dir,
    labels: rows.length,
    images: exported.filter(Boolean).length,
    missingFiles: exported.filter((f) => f === null).length,
  };
}

/**
 * The application's Store port over the Prisma repositories in src/labels. Mostly delegation; where a
 * repository for something is still missing (crowd answer, model history, guild settings, stats) the query
 * lives here for now, written against the same tables.
 */
import * as breeds from '../labels/breeds.ts';
import type { Database } from '../labels/database.ts';
import { InvalidBreedNameError } from '../labels/errors.ts';
import { storeImage } from '../labels/images.ts';
import * as labels from '../labels/labels.ts';
import * as predictions from '../labels/predictions.ts';
import { UserFacingError } from './errors.ts';
import type { LabelSource, Store, StoredPrediction } from './store.ts';
import type { CrowdAnswer, GuildStats, ModelVersionInfo } from './types.ts';

const toStored = (p: predictions.PredictionRecord): StoredPrediction => ({ ...p, userId: p.userId ?? '' });

/** Strict plurality of people, unless a moderator spoke (the latest moderator label decides). */
export function crowdOf(votes: { breed: string; source: string; updatedAt: Date }[]): CrowdAnswer | null {
  if (votes.length === 0) return null;
  const moderator = votes
    .filter((v) => v.source === 'moderator')
    .sort((a, b) => +b.updatedAt - +a.updatedAt)[0];
  const counts = new Map<string, number>();
  for (const v of votes) counts.set(v.breed, (counts.get(v.breed) ?? 0) + 1);
  if (moderator) {
    return {
      breed: moderator.breed,
      votes: counts.get(moderator.breed) ?? 1,
      voters: votes.length,
      byModerator: true,
    };
  }
  const [first, second] = [...counts].sort((a, b) => b[1] - a[1]);
  if (!first || (second && second[1] === first[1])) return null;
  return { breed: first[0], votes: first[1], voters: votes.length, byModerator: false };
}

const asRecord = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

export function createPrismaStore(db: Database): Store {
  const { prisma } = db;
  return {
    async seedBreeds(list) {
      await breeds.seedBreeds(db, list);
    },
    async resolveBreed(name) {
      return (await breeds.findBreed(db, name))?.name ?? null;
    },
    searchBreeds: (query, limit) => breeds.searchBreeds(db, query, limit),
    nearestBreeds: (query, limit) => breeds.nearestBreeds(db, query, limit),
    async createBreed(name, createdBy) {
      try {
        return (await breeds.createBreed(db, name, createdBy)).breed.name;
      } catch (error) {
        if (error instanceof InvalidBreedNameError) {
          throw new UserFacingError(
            'bad-argument',
            `That can't be a breed name: ${error.message.split(': ').pop()}.`,
            { cause: error },
          );
        }
        throw error;
      }
    },

    async saveImage({ bytes, sha256, width, height, format }) {
      return (await storeImage(db, bytes, { sha256, width, height, format })).image.id;
    },

    async findPredictionBySource(source) {
      const p = await predictions.findPredictionBySource(db, source);
      return p ? toStored(p) : null;
    },
    async savePrediction(p) {
      const { prediction, created } = await predictions.recordPrediction(db, p);
      return { prediction: toStored(prediction), created };
    },
    setReplyMessage: (ids, replyMessageId) => predictions.setReplyMessage(db, ids, replyMessageId),
    predictionsForReply: async (id) => (await predictions.predictionsForReply(db, id)).map(toStored),
    predictionsForMessage: async (id) => (await predictions.predictionsForMessage(db, id)).map(toStored),
    async latestPredictionInChannel(guildId, channelId) {
      const p = await predictions.latestPredictionInChannel(db, guildId, channelId);
      return p ? toStored(p) : null;
    },

    async setLabel(l) {
      const { outcome } = await labels.setLabel(db, {
        imageId: l.imageId,
        userId: l.userId,
        breedName: l.breed,
        source: l.source,
        guildId: l.guildId,
        modelVersion: l.modelVersion,
        predictionId: l.predictionId,
      });
      return { changed: outcome !== 'unchanged' };
    },
    async retractLabel(imageId, userId, breed) {
      return { retracted: await labels.removeLabel(db, imageId, userId, breed) };
    },
    async crowdAnswer(imageId) {
      return crowdOf(await labels.labelsForImage(db, imageId));
    },
    async labelsForImage(imageId) {
      return (await labels.labelsForImage(db, imageId)).map((l) => ({
        userId: l.userId,
        breed: l.breed,
        source: l.source as LabelSource,
      }));
    },
    async counts() {
      const [images, predictionCount, labelCount] = await Promise.all([
        prisma.image.count(),
        prisma.prediction.count(),
        prisma.label.count(),
      ]);
      return { images, predictions: predictionCount, labels: labelCount };
    },

    async activeModelVersion() {
      return (await prisma.modelVersion.findFirst({ where: { status: 'active' } }))?.id ?? null;
    },
    async modelHistory(limit): Promise<ModelVersionInfo[]> {
      const rows = await prisma.modelVersion.findMany({ orderBy: { createdAt: 'desc' }, take: limit });
      return rows.map((r) => ({
        version: r.id,
        status: r.status,
        createdAt: r.createdAt,
        parent: r.parentId,
        metrics: asRecord(r.metrics),
        reason: r.reason,
      }));
    },
    async guildSettings(guildId) {
      const row = await prisma.guildSettings.findUnique({ where: { guildId } });
      if (!row) return null;
      const channels = Array.isArray(row.enabledChannelIds) ? row.enabledChannelIds.map(String) : [];
      return {
        moderatorRoleId: row.moderatorRoleId,
        autoClassify: row.autoClassify,
        enabledChannelIds: channels,
      };
    },
    async stats(guildId): Promise<GuildStats> {
      const rows = await prisma.label.findMany({
        where: { guildId },
        select: {
          imageId: true,
          userId: true,
          source: true,
          updatedAt: true,
          breed: { select: { name: true } },
          prediction: { select: { topBreed: true } },
        },
      });
      const tally = <K>(keys: K[]) => {
        const m = new Map<K, number>();
        for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
        return [...m].sort((a, b) => b[1] - a[1]);
      };
      const byImage = new Map<string, string[]>();
      for (const r of rows) byImage.set(r.imageId, [...(byImage.get(r.imageId) ?? []), r.breed.name]);
      const multi = [...byImage.values()].filter((b) => b.length > 1);
      const confused = tally(
        rows
          .filter((r) => r.prediction && r.prediction.topBreed !== r.breed.name)
          .map((r) => `${r.prediction!.topBreed}\n${r.breed.name}`),
      );
      return {
        labels: rows.length,
        labelsPerBreed: tally(rows.map((r) => r.breed.name)).map(([breed, count]) => ({ breed, count })),
        topLabellers: tally(rows.map((r) => r.userId)).map(([userId, count]) => ({ userId, count })),
        agreementRate: multi.length ? multi.filter((b) => new Set(b).size === 1).length / multi.length : null,
        mostConfused: confused.map(([pair, count]) => {
          const [predicted, labelled] = pair.split('\n') as [string, string];
          return { predicted, labelled, count };
        }),
      };
    },
    close: () => db.close(),
  };
}

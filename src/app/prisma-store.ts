/** The application's Store port over the Prisma repositories in src/storage: delegation and shape mapping. */
import * as breeds from '../storage/breeds.ts';
import { crowdAnswer, crowdSplit } from '../storage/consensus.ts';
import type { Database } from '../storage/database.ts';
import { InvalidBreedNameError } from '../storage/errors.ts';
import {
  getGuildSettings,
  updateGuildSettings,
  type GuildSettingsPatch,
  type GuildSettingsRecord,
} from '../storage/guild-settings.ts';
import { storeImage } from '../storage/images.ts';
import * as labels from '../storage/labels.ts';
import { activeModelVersion, listModelVersions } from '../storage/model-versions.ts';
import * as predictions from '../storage/predictions.ts';
import { forgetUser, mostDisputedImages, purgeUserLabels } from '../storage/privacy.ts';
import { labelStats } from '../storage/stats.ts';
import { UserFacingError } from '../refusals.ts';
import type { LabelSource, Store } from './store.ts';
import type { ModelVersionInfo } from '../features/model/types.ts';
import type { GuildSettingsChange, GuildSettingsView } from '../features/settings/types.ts';

const settingsView = ({
  moderatorRoleId,
  autoClassify,
  enabledChannelIds,
  rateLimits,
}: GuildSettingsRecord) => ({
  moderatorRoleId,
  autoClassify,
  enabledChannelIds,
  rateLimits: {
    classifyPerUser: rateLimits.classifyPerUserPerMin,
    classifyPerGuild: rateLimits.classifyPerGuildPerMin,
    labelPerUser: rateLimits.labelPerUserPerMin,
    labelPerGuild: rateLimits.labelPerGuildPerMin,
  },
});

function settingsPatch({ rateLimits, ...rest }: GuildSettingsChange): GuildSettingsPatch {
  if (!rateLimits) return rest;
  const column = {
    classifyPerUser: 'classifyPerUserPerMin',
    classifyPerGuild: 'classifyPerGuildPerMin',
    labelPerUser: 'labelPerUserPerMin',
    labelPerGuild: 'labelPerGuildPerMin',
  } as const;
  const limits: NonNullable<GuildSettingsPatch['rateLimits']> = {};
  for (const [name, value] of Object.entries(rateLimits) as [keyof typeof column, number | null][]) {
    if (value !== undefined) limits[column[name]] = value;
  }
  return { ...rest, rateLimits: limits };
}

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

    findPredictionBySource: (source) => predictions.findPredictionBySource(db, source),
    savePrediction: (p) => predictions.recordPrediction(db, p),
    setReplyMessage: (ids, replyMessageId) => predictions.setReplyMessage(db, ids, replyMessageId),
    predictionsForReply: (id) => predictions.predictionsForReply(db, id),
    predictionsForMessage: (id) => predictions.predictionsForMessage(db, id),
    recentRepliedPredictionsInChannel: (guildId, channelId, limit) =>
      predictions.recentRepliedPredictionsInChannel(db, guildId, channelId, limit),
    predictionById: (id) => predictions.predictionById(db, id),

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
      const crowd = await crowdAnswer(db, imageId);
      if (crowd) {
        return {
          breed: crowd.breed,
          votes: crowd.votes,
          voters: crowd.voters,
          byModerator: crowd.byModerator,
        };
      }
      const split = await crowdSplit(db, imageId);
      if (!split) return null;
      return {
        breed: split[0]!.breed,
        votes: split[0]!.votes,
        voters: split.reduce((n, s) => n + s.votes, 0),
        byModerator: false,
        split,
      };
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
      return (await activeModelVersion(db))?.id ?? null;
    },
    async modelHistory(limit): Promise<ModelVersionInfo[]> {
      return (await listModelVersions(db, limit)).map((v) => ({
        version: v.id,
        status: v.status,
        createdAt: v.createdAt,
        parent: v.parentId,
        metrics: v.metrics,
        reason: v.reason,
      }));
    },
    async guildSettings(guildId): Promise<GuildSettingsView> {
      return settingsView(await getGuildSettings(db, guildId));
    },
    async updateGuildSettings(guildId, change): Promise<GuildSettingsView> {
      return settingsView(await updateGuildSettings(db, guildId, settingsPatch(change)));
    },
    stats: (guildId) => labelStats(db, guildId),

    async forgetUser(userId) {
      const { labelsDeleted, imagesDeleted, imagesKept } = await forgetUser(db, userId);
      return { labelsDeleted, imagesDeleted, imagesKept };
    },
    purgeUserLabels: (userId, guildId) => purgeUserLabels(db, userId, { guildId }),
    repliesShowingLabelsBy: (userId, guildId) => predictions.repliesShowingLabelsBy(db, userId, guildId),
    async mostDisputed(guildId, limit) {
      const disputed = await mostDisputedImages(db, limit, { guildId });
      return Promise.all(
        disputed.map(async ({ imageId, voters, breeds: votes, consensus }) => {
          const reply = await predictions.newestReplyShowing(db, imageId, guildId);
          return { imageId, voters, breeds: votes, consensus, reply };
        }),
      );
    },
    close: () => db.close(),
  };
}

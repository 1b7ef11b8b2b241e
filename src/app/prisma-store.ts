/** The application's Store port over the Prisma repositories in src/storage: delegation and shape mapping. */
import * as breeds from '../storage/breeds.ts';
import { crowdAnswer, crowdSplit } from '../storage/consensus.ts';
import type { Database } from '../storage/database.ts';
import { InvalidBreedNameError, NotFoundError } from '../storage/errors.ts';
import {
  getGuildSettings,
  rateLimitColumn,
  updateGuildSettings,
  type GuildSettingsPatch,
  type GuildSettingsRecord,
} from '../storage/guild-settings.ts';
import { dogCropOf, findImage, readImageBytes, storeImage } from '../storage/images.ts';
import * as labels from '../storage/labels.ts';
import { activeModelVersion, listModelVersions, toModelVersionInfo } from '../storage/model-versions.ts';
import * as predictions from '../storage/predictions.ts';
import { forgetUser, mostDisputedImages, purgeUserLabels } from '../storage/privacy.ts';
import { labelStats, rowCounts } from '../storage/stats.ts';
import { UserFacingError } from '../refusals.ts';
import { RATE_LIMIT_NAMES, type RateLimitName } from './rate-limits.ts';
import type { LabelSource, Store } from './store.ts';
import type { ModelVersionInfo } from '../features/model/types.ts';
import type { GuildSettingsChange, GuildSettingsView } from '../features/settings/types.ts';

const settingsView = ({
  moderatorRoleId,
  autoClassify,
  enabledChannelIds,
  rateLimits,
}: GuildSettingsRecord): GuildSettingsView => ({
  moderatorRoleId,
  autoClassify,
  enabledChannelIds,
  rateLimits: Object.fromEntries(
    RATE_LIMIT_NAMES.map((name) => [name, rateLimits[rateLimitColumn(name)]]),
  ) as GuildSettingsView['rateLimits'],
});

function settingsPatch({ rateLimits, ...rest }: GuildSettingsChange): GuildSettingsPatch {
  if (!rateLimits) return rest;
  const limits: NonNullable<GuildSettingsPatch['rateLimits']> = {};
  for (const [name, value] of Object.entries(rateLimits) as [RateLimitName, number | null][]) {
    if (value !== undefined) limits[rateLimitColumn(name)] = value;
  }
  return { ...rest, rateLimits: limits };
}

export function createPrismaStore(db: Database): Store {
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

    async saveImage({ bytes, sha256, width, height, format, cropOf }) {
      return (await storeImage(db, bytes, { sha256, width, height, format, ...(cropOf ? { cropOf } : {}) }))
        .image.id;
    },
    dogCropOf: (imageId) => dogCropOf(db, imageId),
    async imageBytes(imageId) {
      const image = await findImage(db, imageId);
      if (!image) return null;
      return readImageBytes(db, image).catch((error: unknown) => {
        if (error instanceof NotFoundError) return null;
        throw error;
      });
    },

    findPredictionBySource: (source) => predictions.findPredictionBySource(db, source),
    dogPredictionsForSource: (source) => predictions.dogPredictionsForSource(db, source),
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
    counts: () => rowCounts(db),

    async activeModelVersion() {
      return (await activeModelVersion(db))?.id ?? null;
    },
    async modelHistory(limit): Promise<ModelVersionInfo[]> {
      return (await listModelVersions(db, limit)).map(toModelVersionInfo);
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

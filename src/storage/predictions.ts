/**
 * What the bot answered, per image of a message or slash command. Recording is idempotent on the source
 * (message or interaction id + attachment index): a gateway event replayed after a reconnect finds the first
 * prediction instead of making a second one. The embedding goes to the Embedding table (one per image and
 * backbone), where training looks for it.
 */
import type { BreedProbability } from '../model/types.ts';
import type { Database } from './database.ts';
import { saveEmbedding } from './embeddings.ts';
import type { ReplyLocation, StoredPrediction } from '../features/classify/types.ts';
import { createOnce } from './errors.ts';

export interface PredictionSource {
  messageId?: string | null;
  interactionId?: string | null;
  /** Which attachment of the message (0 for a single image). */
  attachmentIndex?: number;
  /** One dog of a photo with several (1 = the leftmost): its crop's prediction. */
  dogNumber?: number | null;
}

/** A StoredPrediction to record: its source, the model's answer, and the embedding (stored per backbone). */
export interface NewPrediction
  extends
    PredictionSource,
    Pick<
      StoredPrediction,
      | 'imageId'
      | 'guildId'
      | 'channelId'
      | 'userId'
      | 'modelVersion'
      | 'backboneId'
      | 'isDog'
      | 'dogProbability'
      | 'top5'
    > {
  dogNumber?: number | null;
  lookslike?: StoredPrediction['lookslike'];
  embedding?: Float32Array;
}

/** The unique key of a prediction's source: the interaction when there is one, else the message. */
export function sourceKeyOf(source: PredictionSource): string {
  const index = source.attachmentIndex ?? 0;
  const dog = source.dogNumber ? `:dog${source.dogNumber}` : '';
  if (source.interactionId) return `interaction:${source.interactionId}:${index}${dog}`;
  if (source.messageId) return `message:${source.messageId}:${index}${dog}`;
  throw new Error('a prediction needs a message id or an interaction id');
}

type PredictionRow = Omit<StoredPrediction, 'top5' | 'lookslike' | 'dogNumber'> & {
  top5: unknown;
  lookslike: unknown;
  sourceKey: string;
};

const DOG_SUFFIX = /:dog(\d+)$/;

function toRecord(row: PredictionRow): StoredPrediction {
  const { sourceKey, ...rest } = row;
  const dog = DOG_SUFFIX.exec(sourceKey);
  const top5 = Array.isArray(row.top5) ? (row.top5 as BreedProbability[]) : [];
  const lookslike =
    row.lookslike && typeof row.lookslike === 'object'
      ? (row.lookslike as StoredPrediction['lookslike'])
      : null;
  return { ...rest, top5, lookslike, dogNumber: dog ? Number(dog[1]) : null };
}

/** Attachment order, and a photo's dogs by number (dog10 after dog9, which the key's text order would not give). */
const inReplyOrder = (rows: PredictionRow[]): StoredPrediction[] =>
  rows
    .map(toRecord)
    .sort((a, b) => a.attachmentIndex - b.attachmentIndex || (a.dogNumber ?? 0) - (b.dogNumber ?? 0));

export async function findPredictionBySource(
  db: Database,
  source: PredictionSource,
): Promise<StoredPrediction | null> {
  const row = await db.prisma.prediction.findUnique({ where: { sourceKey: sourceKeyOf(source) } });
  return row ? toRecord(row) : null;
}

/** The dogs' predictions of a source's photo (each crop's, `<source>:dog<N>`), by dog number; [] for none. */
export async function dogPredictionsForSource(
  db: Database,
  source: PredictionSource,
): Promise<StoredPrediction[]> {
  const rows = await db.prisma.prediction.findMany({
    where: { sourceKey: { startsWith: `${sourceKeyOf({ ...source, dogNumber: null })}:dog` } },
  });
  return inReplyOrder(rows);
}

/** Stores a prediction once per source; `created` is false when the source already had one (returned as is). */
export async function recordPrediction(
  db: Database,
  p: NewPrediction,
): Promise<{ prediction: StoredPrediction; created: boolean }> {
  const sourceKey = sourceKeyOf(p);
  const existing = await db.prisma.prediction.findUnique({ where: { sourceKey } });
  if (existing) return { prediction: toRecord(existing), created: false };

  const top1 = p.top5[0]?.breed;
  if (!top1) throw new Error('a prediction needs at least one breed in top5');
  if (p.embedding) await saveEmbedding(db, p.imageId, p.backboneId, p.embedding);
  // The same event may be handled twice at this very moment; the first writer's prediction then stands.
  const { row, created } = await createOnce(
    () =>
      db.prisma.prediction.create({
        data: {
          sourceKey,
          imageId: p.imageId,
          guildId: p.guildId,
          channelId: p.channelId,
          messageId: p.messageId ?? null,
          interactionId: p.interactionId ?? null,
          attachmentIndex: p.attachmentIndex ?? 0,
          userId: p.userId,
          modelVersion: p.modelVersion,
          backboneId: p.backboneId,
          isDog: p.isDog,
          dogProbability: p.dogProbability,
          topBreed: top1,
          top5: p.top5.map(({ breed, probability }) => ({ breed, probability })),
          lookslike: p.lookslike
            ? { label: p.lookslike.label, probability: p.lookslike.probability }
            : undefined,
        },
      }),
    () => db.prisma.prediction.findUniqueOrThrow({ where: { sourceKey } }),
  );
  return { prediction: toRecord(row), created };
}

/** Links the bot's reply message to the predictions it shows (reactions on it then label those images). */
export async function setReplyMessage(
  db: Database,
  predictionIds: string[],
  replyMessageId: string,
): Promise<void> {
  await db.prisma.prediction.updateMany({ where: { id: { in: predictionIds } }, data: { replyMessageId } });
}

/** Predictions shown by one reply, in attachment order. */
export async function predictionsForReply(db: Database, replyMessageId: string): Promise<StoredPrediction[]> {
  const rows = await db.prisma.prediction.findMany({
    where: { replyMessageId },
    orderBy: [{ attachmentIndex: 'asc' }, { createdAt: 'asc' }],
  });
  return inReplyOrder(rows);
}

/** Predictions whose source message or bot reply is `messageId`, in attachment order. */
export async function predictionsForMessage(db: Database, messageId: string): Promise<StoredPrediction[]> {
  const rows = await db.prisma.prediction.findMany({
    where: { OR: [{ messageId }, { replyMessageId: messageId }] },
    orderBy: [{ attachmentIndex: 'asc' }, { createdAt: 'asc' }],
  });
  return inReplyOrder(rows);
}

/** The first prediction for a message (its source or its reply), or null. */
export async function predictionForMessage(
  db: Database,
  messageId: string,
): Promise<StoredPrediction | null> {
  return (await predictionsForMessage(db, messageId))[0] ?? null;
}

/** The newest predictions in a channel that the bot answered with a reply (people saw them), newest first. */
export async function recentRepliedPredictionsInChannel(
  db: Database,
  guildId: string | null,
  channelId: string,
  limit: number,
): Promise<StoredPrediction[]> {
  const rows = await db.prisma.prediction.findMany({
    where: { guildId, channelId, replyMessageId: { not: null } },
    orderBy: [{ createdAt: 'desc' }, { attachmentIndex: 'asc' }],
    take: limit,
  });
  return rows.map(toRecord);
}

export async function predictionById(db: Database, id: string): Promise<StoredPrediction | null> {
  const row = await db.prisma.prediction.findUnique({ where: { id } });
  return row ? toRecord(row) : null;
}

export async function latestPredictionInChannel(
  db: Database,
  guildId: string | null,
  channelId: string,
): Promise<StoredPrediction | null> {
  const row = await db.prisma.prediction.findFirst({
    where: { guildId, channelId },
    orderBy: [{ createdAt: 'desc' }, { attachmentIndex: 'asc' }],
  });
  return row ? toRecord(row) : null;
}

/** The bot's replies showing images this person labelled (in `guildId` when given), most recent first. */
export async function repliesShowingLabelsBy(
  db: Database,
  userId: string,
  guildId: string | null,
): Promise<ReplyLocation[]> {
  const labelled = await db.prisma.label.findMany({
    where: { userId, ...(guildId ? { guildId } : {}) },
    select: { imageId: true },
  });
  const shown = await db.prisma.prediction.findMany({
    where: {
      imageId: { in: [...new Set(labelled.map((l) => l.imageId))] },
      replyMessageId: { not: null },
    },
    orderBy: { createdAt: 'desc' },
    select: { channelId: true, replyMessageId: true },
  });
  // One reply can show several photos: list it once.
  const replies = new Map<string, ReplyLocation>();
  for (const p of shown)
    if (p.replyMessageId && !replies.has(p.replyMessageId))
      replies.set(p.replyMessageId, { channelId: p.channelId, messageId: p.replyMessageId });
  return [...replies.values()];
}

/** The newest bot reply showing an image in one server, or null. */
export async function newestReplyShowing(
  db: Database,
  imageId: string,
  guildId: string,
): Promise<ReplyLocation | null> {
  const shown = await db.prisma.prediction.findFirst({
    where: { imageId, guildId, replyMessageId: { not: null } },
    orderBy: { createdAt: 'desc' },
    select: { channelId: true, replyMessageId: true },
  });
  return shown?.replyMessageId ? { channelId: shown.channelId, messageId: shown.replyMessageId } : null;
}

/**
 * People's labels: one per person per image (UNIQUE(imageId, userId)); giving another breed replaces it,
 * retracting removes it only while it still names the breed being retracted (a reaction removed after the
 * person already changed their mind must not erase the newer label).
 */
import type { Database } from './database.ts';
import { findBreed, nearestBreeds } from './breeds.ts';
import { UnknownBreedError } from '../refusals.ts';
import type { LabelSource } from '../features/labelling/types.ts';
import { isUniqueViolation } from './errors.ts';

export const LABEL_SOURCES: readonly LabelSource[] = ['reaction', 'command', 'moderator'];

export interface LabelInput {
  imageId: string;
  userId: string;
  /** A breed name or alias; must be known (create new breeds with createBreed first). */
  breedName: string;
  source: LabelSource;
  /** The model version serving when the label was given. */
  modelVersion?: string | null;
  guildId?: string | null;
  predictionId?: string | null;
}

export interface LabelRecord {
  id: string;
  imageId: string;
  userId: string;
  breed: string;
  source: LabelSource;
  guildId: string | null;
  predictionId: string | null;
  modelVersion: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What one setLabel write did (the labelling feature's LabelOutcome says what it means for people). */
export type LabelWrite = 'created' | 'changed' | 'unchanged';

const asSource = (value: string): LabelSource =>
  (LABEL_SOURCES as readonly string[]).includes(value) ? (value as LabelSource) : 'command';

const withBreed = { breed: { select: { name: true } } } as const;

type LabelRow = Omit<LabelRecord, 'breed' | 'source'> & {
  source: string;
  breedId: number;
  breed: { name: string };
};

const toRecord = ({ breed, breedId: _breedId, source, ...row }: LabelRow): LabelRecord => ({
  ...row,
  breed: breed.name,
  source: asSource(source),
});

/**
 * Sets this person's label for the image. `created`: first label; `changed`: a different breed or source
 * replaced theirs; `unchanged`: it was already exactly this (a replayed event, a double click).
 * Throws UnknownBreedError (with the nearest names) for a name that is neither a breed nor an alias.
 */
export async function setLabel(
  db: Database,
  input: LabelInput,
): Promise<{ outcome: LabelWrite; label: LabelRecord; previousBreed: string | null }> {
  if (!LABEL_SOURCES.includes(input.source)) throw new Error(`unknown label source "${input.source}"`);
  const breed = await findBreed(db, input.breedName);
  if (!breed) throw new UnknownBreedError(input.breedName, await nearestBreeds(db, input.breedName, 5));

  const key = { imageId_userId: { imageId: input.imageId, userId: input.userId } };
  const data = {
    breedId: breed.id,
    source: input.source,
    modelVersion: input.modelVersion ?? null,
    guildId: input.guildId ?? null,
    predictionId: input.predictionId ?? null,
  };
  const replaceIfDifferent = async (previous: LabelRow) => {
    if (previous.breedId === breed.id && previous.source === input.source) {
      return { outcome: 'unchanged' as const, label: toRecord(previous), previousBreed: previous.breed.name };
    }
    const row = await db.prisma.label.update({ where: key, data, include: withBreed });
    return { outcome: 'changed' as const, label: toRecord(row), previousBreed: previous.breed.name };
  };

  const previous = await db.prisma.label.findUnique({ where: key, include: withBreed });
  if (previous) return replaceIfDifferent(previous);
  try {
    // The unique (image, user) index decides races: exactly one concurrent first label is "created".
    const row = await db.prisma.label.create({
      data: { imageId: input.imageId, userId: input.userId, ...data },
      include: withBreed,
    });
    return { outcome: 'created', label: toRecord(row), previousBreed: null };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return replaceIfDifferent(await db.prisma.label.findUniqueOrThrow({ where: key, include: withBreed }));
  }
}

/**
 * Removes the person's label for the image; with `breedName`, only while the label still names that breed
 * (or an alias of it). Returns whether a label was removed.
 */
export async function removeLabel(
  db: Database,
  imageId: string,
  userId: string,
  breedName?: string,
): Promise<boolean> {
  let breedId: number | undefined;
  if (breedName !== undefined) {
    const breed = await findBreed(db, breedName);
    if (!breed) return false;
    breedId = breed.id;
  }
  const { count } = await db.prisma.label.deleteMany({
    where: { imageId, userId, ...(breedId !== undefined ? { breedId } : {}) },
  });
  return count > 0;
}

export async function labelsForImage(db: Database, imageId: string): Promise<LabelRecord[]> {
  const rows = await db.prisma.label.findMany({
    where: { imageId },
    include: withBreed,
    orderBy: { createdAt: 'asc' },
  });
  return rows.map(toRecord);
}

/** Labels given or changed after `since` (for "enough new labels to retrain?"). */
export const countLabelsSince = (db: Database, since: Date | null): Promise<number> =>
  db.prisma.label.count(since ? { where: { updatedAt: { gt: since } } } : undefined);

/**
 * The breeds people can name: the model's ImageNet dog classes (seeded on first run from a list the caller
 * gives) and breeds moderators add. Lookups read the whole table (a few hundred rows) and rank in memory, the
 * same way on SQLite and PostgreSQL.
 */
import type { Database } from './database.ts';
import { exactBreed, nearestNames, rankBreeds } from './breed-search.ts';
import { createOnce, InvalidBreedNameError, isUniqueViolation } from './errors.ts';
import { MAX_AUTOCOMPLETE, MAX_BREED_LENGTH } from '../limits.ts';

export type BreedOrigin = 'imagenet' | 'user';

export interface BreedRecord {
  id: number;
  name: string;
  aliases: string[];
  origin: BreedOrigin;
  createdBy: string | null;
}

const toAliases = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const toRecord = (row: {
  id: number;
  name: string;
  aliases: unknown;
  origin: string;
  createdBy: string | null;
}): BreedRecord => ({
  id: row.id,
  name: row.name,
  aliases: toAliases(row.aliases),
  origin: row.origin === 'user' ? 'user' : 'imagenet',
  createdBy: row.createdBy,
});

export async function listBreeds(db: Database): Promise<BreedRecord[]> {
  return (await db.prisma.breed.findMany({ orderBy: { name: 'asc' } })).map(toRecord);
}

/**
 * Adds the given breeds that are missing (origin "imagenet"); existing rows are left alone, so running it at
 * every start is cheap and never undoes a moderator's change. Returns how many were added.
 */
export async function seedBreeds(
  db: Database,
  breeds: { name: string; aliases?: string[] }[],
): Promise<number> {
  const known = new Set((await db.prisma.breed.findMany({ select: { name: true } })).map((b) => b.name));
  const missing = breeds.filter((b) => !known.has(b.name));
  if (missing.length === 0) return 0;
  const rows = missing.map((b) => ({ name: b.name, aliases: b.aliases ?? [], origin: 'imagenet' }));
  try {
    return (await db.prisma.breed.createMany({ data: rows })).count;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  let added = 0; // another process is seeding at the same moment: add what it has not, one by one
  for (const breed of missing) {
    try {
      await db.prisma.breed.create({
        data: { name: breed.name, aliases: breed.aliases ?? [], origin: 'imagenet' },
      });
      added++;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error; // another process seeded it at the same moment
    }
  }
  return added;
}

/** The breed called `name` or having it as an alias (case, spaces, "-" and "_" ignored), or null. */
export async function findBreed(db: Database, name: string): Promise<BreedRecord | null> {
  return exactBreed(await listBreeds(db), name);
}

/** Autocomplete: prefix and substring matches on names and aliases, then typos; at most `limit` (≤ 25). */
export async function searchBreeds(db: Database, query: string, limit = MAX_AUTOCOMPLETE): Promise<string[]> {
  return rankBreeds(
    await listBreeds(db),
    query.slice(0, MAX_BREED_LENGTH),
    Math.min(limit, MAX_AUTOCOMPLETE),
  );
}

/** The closest names to an unknown one, for "did you mean". */
export async function nearestBreeds(db: Database, name: string, limit = 5): Promise<string[]> {
  return nearestNames(await listBreeds(db), name.slice(0, 100), limit);
}

/**
 * Letters (any script), digits, spaces and ' . - only: breed names are shown in Discord, so no markdown,
 * mentions (@everyone), links or control characters can get in through them.
 */
export function validateBreedName(raw: string): string {
  const name = raw.normalize('NFKC').replace(/\s+/g, ' ').trim();
  if (name.length < 2) throw new InvalidBreedNameError(raw, 'too short');
  if (name.length > 60) throw new InvalidBreedNameError(raw, 'longer than 60 characters');
  if (!/^[\p{L}\p{N}][\p{L}\p{M}\p{N} '’.-]*$/u.test(name)) {
    throw new InvalidBreedNameError(raw, "use letters, digits, spaces and ' . - only");
  }
  if (!/\p{L}/u.test(name)) throw new InvalidBreedNameError(raw, 'needs a letter');
  return name;
}

/** Adds a breed a moderator named; returns the existing one when the name (or an alias) is already known. */
export async function createBreed(
  db: Database,
  name: string,
  createdBy: string,
): Promise<{ breed: BreedRecord; created: boolean }> {
  const clean = validateBreedName(name);
  const existing = await findBreed(db, clean);
  if (existing) return { breed: existing, created: false };
  const { row, created } = await createOnce(
    () => db.prisma.breed.create({ data: { name: clean, aliases: [], origin: 'user', createdBy } }),
    () => db.prisma.breed.findUniqueOrThrow({ where: { name: clean } }),
  );
  return { breed: toRecord(row), created };
}

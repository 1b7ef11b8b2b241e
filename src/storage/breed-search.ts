/**
 * Ranking breed names for autocomplete and "did you mean": pure functions over the known names.
 * Tiers, best first: exact name/alias, prefix, word prefix, substring, then typos (Levenshtein distance within
 * a budget that grows with the query's length, against whole names, single words and same-length prefixes).
 */
import { distance } from 'fastest-levenshtein';

export interface SearchableBreed {
  name: string;
  aliases: string[];
}

/**
 * The value of the single "no breed matches" autocomplete entry. Picking it must do nothing harmful: it is not
 * a breed name anyone would type, and /label refuses it (it never creates a breed, even for a moderator).
 */
export const NO_BREED_MATCH_VALUE = '(no breed matches)';

/** Case, spacing and the usual separators do not matter: "shih_tzu" = "Shih-Tzu" = "shih tzu". */
export const normaliseBreedText = (text: string): string =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[_\-‐–—]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** How many edits a query of this length may be off by and still count as a typo. */
const typoBudget = (length: number): number => (length <= 3 ? 0 : length <= 5 ? 1 : length <= 9 ? 2 : 3);

const TYPO_TIER = 4;

/** Lower is better; null when the breed does not match at all. */
function score(query: string, breed: SearchableBreed): number | null {
  let best: number | null = null;
  const consider = (value: number) => {
    if (best === null || value < best) best = value;
  };
  const budget = typoBudget(query.length);
  for (const raw of [breed.name, ...breed.aliases]) {
    const candidate = normaliseBreedText(raw);
    if (!candidate) continue;
    const words = candidate.split(' ');
    if (candidate === query) consider(0);
    else if (candidate.startsWith(query)) consider(1);
    else if (words.some((w) => w.startsWith(query))) consider(2);
    else if (candidate.includes(query)) consider(3);
    else if (budget > 0) {
      const edits = Math.min(
        distance(query, candidate),
        distance(query, candidate.slice(0, query.length)),
        ...words.map((w) => distance(query, w)),
      );
      if (edits <= budget) consider(TYPO_TIER + edits / 10);
    }
  }
  return best;
}

const byNameLength = (a: SearchableBreed, b: SearchableBreed) =>
  a.name.length - b.name.length || a.name.localeCompare(b.name);

/** Names matching `query`, best first, at most `limit`. An empty query lists names alphabetically. */
export function rankBreeds(breeds: SearchableBreed[], query: string, limit: number): string[] {
  const q = normaliseBreedText(query);
  if (!q)
    return [...breeds]
      .sort((a, b) => a.name.localeCompare(b.name))
      .slice(0, limit)
      .map((b) => b.name);
  return breeds
    .map((breed) => ({ breed, score: score(q, breed) }))
    .filter((r): r is { breed: SearchableBreed; score: number } => r.score !== null)
    .sort((a, b) => a.score - b.score || byNameLength(a.breed, b.breed))
    .slice(0, limit)
    .map((r) => r.breed.name);
}

/** The `limit` names closest to `name` by edit distance, whatever the distance. */
export function nearestNames(breeds: SearchableBreed[], name: string, limit: number): string[] {
  const q = normaliseBreedText(name);
  const closeness = (breed: SearchableBreed) =>
    Math.min(
      ...[breed.name, ...breed.aliases].map((raw) => {
        const candidate = normaliseBreedText(raw);
        const words = candidate.split(' ');
        // a matching word counts nearly as much as a matching name ("retreiver" → "Golden Retriever")
        return Math.min(distance(q, candidate), ...words.map((w) => distance(q, w) + 0.5));
      }),
    );
  return breeds
    .map((breed) => ({ breed, d: closeness(breed) }))
    .sort((a, b) => a.d - b.d || byNameLength(a.breed, b.breed))
    .slice(0, limit)
    .map((r) => r.breed.name);
}

/** The breed whose name or an alias equals `name` once normalised. */
export function exactBreed<T extends SearchableBreed>(breeds: T[], name: string): T | null {
  const q = normaliseBreedText(name);
  if (!q) return null;
  return (
    breeds.find((b) => normaliseBreedText(b.name) === q) ??
    breeds.find((b) => b.aliases.some((a) => normaliseBreedText(a) === q)) ??
    null
  );
}

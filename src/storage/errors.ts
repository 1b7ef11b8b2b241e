/** Errors the storage layer raises on purpose, and recognisers for the database's own. */

export class InvalidBreedNameError extends Error {
  constructor(
    readonly breed: string,
    reason: string,
  ) {
    super(`"${breed.slice(0, 80)}" cannot be a breed name: ${reason}`);
    this.name = 'InvalidBreedNameError';
  }
}

export class NotFoundError extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}

const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;

/** A unique constraint refused the write (P2002): someone else wrote the same key first. */
export const isUniqueViolation = (error: unknown): boolean => codeOf(error) === 'P2002';

/**
 * Creates a row whose unique key decides races: when another writer created the same key at the same moment,
 * that writer's row (read by `winner`) is the answer, with `created: false`.
 */
export async function createOnce<T>(
  create: () => Promise<T>,
  winner: () => Promise<T>,
): Promise<{ row: T; created: boolean }> {
  try {
    return { row: await create(), created: true };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return { row: await winner(), created: false };
  }
}

/** Worth retrying: a unique race, a serialization failure or deadlock (P2034), a lock wait that timed out. */
export function isTransientConflict(error: unknown): boolean {
  const code = codeOf(error);
  if (code === 'P2002' || code === 'P2034' || code === 'P1008') return true;
  const message = error instanceof Error ? error.message : '';
  return /database is locked|SQLITE_BUSY|could not serialize|deadlock detected/i.test(message);
}

/** Runs `work` again (a few times, with a short growing pause) when it hits a transient conflict. */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isTransientConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 10 * attempt));
    }
  }
}

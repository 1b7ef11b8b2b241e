/**
 * What the scale-out shape needs, checked before anything starts so the operator reads one clear sentence
 * instead of two shards corrupting each other's SQLite file or training on their own.
 */
import type { Config } from '../config.ts';
import { parseDatabaseUrl } from '../storage/database-url.ts';

export class ScaleOutConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScaleOutConfigError';
  }
}

/** Shards and the trainer share one database and one Redis. */
export function assertScaleOutConfig(
  config: Pick<Config, 'DATABASE_URL' | 'REDIS_URL'>,
  role: 'sharded bot' | 'trainer',
): asserts config is typeof config & { REDIS_URL: string } {
  if (parseDatabaseUrl(config.DATABASE_URL).provider !== 'postgresql') {
    throw new ScaleOutConfigError(
      `The ${role} needs PostgreSQL: set DATABASE_URL=postgresql://… (every process shares one database; ` +
        'SQLite is a single-process database). For one process with SQLite, use `npm start`.',
    );
  }
  if (!config.REDIS_URL) {
    throw new ScaleOutConfigError(
      `The ${role} needs Redis for the training queue and the model broadcast: set REDIS_URL=redis://host:6379. ` +
        'For one process without Redis, use `npm start`.',
    );
  }
}

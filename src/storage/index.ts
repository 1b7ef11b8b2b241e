/** breedbot's storage: Prisma repositories over SQLite or PostgreSQL. Import from here. */
export { openDatabase, type Database, type BreedbotPrisma, type OpenDatabaseOptions } from './database.ts';
export { applyMigrations, type MigrationResult } from './migrate.ts';
export { parseDatabaseUrl, redact } from './database-url.ts';
export * from './errors.ts';
/** What setLabel throws for a name that is no breed: the services' own refusal, so people read "unknown breed". */
export { UnknownBreedError } from '../refusals.ts';
export * from './images.ts';
export * from './embeddings.ts';
export * from './predictions.ts';
export * from './labels.ts';
export * from './breeds.ts';
export { normaliseBreedText } from './breed-search.ts';
export * from './consensus.ts';
export { trustByUser, trustFrom, NEWCOMER_TRUST, type Vote } from './trust.ts';
export * from './model-versions.ts';
export * from './guild-settings.ts';
export * from './stats.ts';
export * from './privacy.ts';

/**
 * The composition root: opens the database, loads the model (the database's active version if any, else the
 * base), seeds the breed list, and wires the application services. Adapters (Discord, the sandbox, CLIs)
 * receive the result; nothing below knows which adapter is calling.
 */
import path from 'node:path';
import type { Config } from '../config.ts';
import { openDatabase, type Database } from '../storage/database.ts';
import { log } from '../log.ts';
import { loadModelGateway, type LoadedModel } from './model-gateway.ts';
import { createPrismaStore } from './prisma-store.ts';
import { RateLimits } from './rate-limits.ts';
import { BreedbotServices } from './services.ts';
import type { Store } from './store.ts';
import { createUrlFetcher } from './url-fetcher.ts';

export interface CreateOptions {
  /** Origins whose loopback addresses may be fetched (the sandbox's own file host); none by default. */
  trustedLoopbackOrigins?: string[];
}

/** The services plus what the learning loop and tests need to reach: the model holder and the store. */
export interface BreedbotApp extends BreedbotServices {
  readonly model: LoadedModel;
  readonly store: Store;
  /** The repositories' database (the learning loop reads labels and records model versions there). */
  readonly db: Database;
}

export async function createBreedbot(config: Config, options: CreateOptions = {}): Promise<BreedbotApp> {
  const db = await openDatabase(config.DATABASE_URL, { imagesDir: path.join(config.dataDir, 'images') });
  const store = createPrismaStore(db);
  let model: LoadedModel;
  try {
    model = await loadModelGateway(config, await store.activeModelVersion());
    await store.seedBreeds(model.baseBreeds());
  } catch (error) {
    await store.close();
    throw error;
  }
  const limits = new RateLimits({
    classifyPerUser: config.RATE_CLASSIFY_PER_USER,
    classifyPerGuild: config.RATE_CLASSIFY_PER_GUILD,
    labelPerUser: config.RATE_LABEL_PER_USER,
    labelPerGuild: config.RATE_LABEL_PER_GUILD,
  });
  const services = new BreedbotServices({
    store,
    model,
    fetcher: createUrlFetcher(config),
    limits,
    trustedLoopbackOrigins: options.trustedLoopbackOrigins ?? [],
  });
  log.info(
    { backend: model.backend, version: model.activeVersion(), breeds: model.breedCount() },
    'breedbot ready',
  );
  return Object.assign(services, { model, store, db });
}

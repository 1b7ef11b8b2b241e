/**
 * The one composition root. `buildRuntime(config, role)` opens what a process of that role needs, wires it, and
 * returns it with one `close()` that shuts it down in reverse order:
 *
 *   storage   database only                                          (CLIs that read or edit the store)
 *   app       database + model + application services              (CLIs that classify or read the store)
 *   learning  app + the learning loop                                (retrain and model CLIs, kill tests)
 *   bot       app + training/model following + the Discord bot       (`npm start`, the e2e test harness)
 *   shard     bot, on the shared database and Redis                  (one process of `npm run start:shards`)
 *   trainer   database + model + the loop behind the Redis queue     (`npm run trainer`)
 *
 * `bot` without a Discord to talk to (no DISCORD_TOKEN, no `discord` option) starts the local sandbox Discord.
 * `bot` also serves the HTTP API when HTTP_API_PORT and HTTP_API_KEY are set (one process; shards do not).
 */
import path from 'node:path';
import { createBreedbot, type BreedbotApp, type CreateOptions } from '../app/create.ts';
import { loadModelGateway, type LoadedModel } from '../app/model-gateway.ts';
import type { Config } from '../config.ts';
import type { RunningBot } from '../discord/bot.ts';
import type { CommandSet } from '../discord/command-loader.ts';
import type { LocalDiscord } from './local-discord.ts';
import type { HttpApi } from '../http/server.ts';
import { openDatabase, type Database } from '../storage/database.ts';
import { activeModelVersion } from '../storage/model-versions.ts';
import { startLearning, type Learning } from '../learning/index.ts';
import { BullTrainingQueue, startTrainingWorker } from '../scale/bullmq-queue.ts';
import { learningLoopRunner } from '../scale/learning-runner.ts';
import { RedisModelBroadcast } from '../scale/model-broadcast.ts';
import { ModelFollower } from '../scale/model-follower.ts';
import { scheduleQueuedRetraining } from '../scale/queued-schedule.ts';
import { probeRedis } from '../scale/redis.ts';
import { assertScaleOutConfig } from '../scale/requirements.ts';
import { connectServing, type ServingScale } from '../scale/serving.ts';
import { announcingRunner } from '../scale/training-queue.ts';
import { Resources } from './resources.ts';
import { log } from '../log.ts';

export type RuntimeRole = 'storage' | 'app' | 'learning' | 'bot' | 'shard' | 'trainer';

/** A Discord the bot should talk to instead of discord.com or the sandbox (a fake Discord in tests). */
export interface DiscordTarget {
  token: string;
  apiUrl: string;
  /** Its file host, whose loopback address the bot may fetch attachments from. */
  fileOrigin?: string;
  commands?: CommandSet;
}

export interface RuntimeOptions {
  /** app/learning/bot: passed to the application (e.g. trusted loopback origins). */
  app?: CreateOptions;
  /** learning: options for the learning loop (e.g. a short training for tests). */
  learning?: Parameters<typeof startLearning>[2];
  /** bot: talk to this Discord. */
  discord?: DiscordTarget;
  /** bot: no training control and no model following (a harness that drives the loop itself). */
  withoutServing?: boolean;
}

interface Closeable {
  /** Closes everything this runtime opened, newest first. */
  close(): Promise<void>;
}
export interface StorageRuntime extends Closeable {
  config: Config;
  db: Database;
}
export interface AppRuntime extends Closeable {
  config: Config;
  app: BreedbotApp;
}
export interface LearningRuntime extends AppRuntime {
  learning: Learning;
}
export interface BotRuntime extends AppRuntime {
  serving: ServingScale | null;
  /** The local sandbox Discord when `npm start` has no token. */
  sandbox: LocalDiscord | null;
  /** The HTTP API, when configured (role `bot` only). */
  httpApi: HttpApi | null;
  readonly bot: RunningBot;
  /** A new discord.js client (empty caches, new gateway session) over the same services. */
  restartBot(): Promise<void>;
}
export interface TrainerRuntime extends Closeable {
  config: Config;
  db: Database;
  model: LoadedModel;
  learning: Learning;
}

type WithoutClose<T> = T extends unknown ? Omit<T, 'close'> : never;

interface Runtimes {
  storage: StorageRuntime;
  app: AppRuntime;
  learning: LearningRuntime;
  bot: BotRuntime;
  shard: BotRuntime;
  trainer: TrainerRuntime;
}

export async function buildRuntime<R extends RuntimeRole>(
  config: Config,
  role: R,
  options: RuntimeOptions = {},
): Promise<Runtimes[R]> {
  const resources = new Resources();
  const built = await resources.build(async (): Promise<WithoutClose<Runtimes[RuntimeRole]>> => {
    switch (role) {
      case 'storage':
        return { config, db: await openStorage(config, resources) };
      case 'app':
        return { config, app: await openApp(config, resources, options.app) };
      case 'learning': {
        const app = await openApp(config, resources, options.app);
        const learning = resources.add('learning loop', startLearning(app, config, options.learning), (l) =>
          l.close(),
        );
        return { config, app, learning };
      }
      case 'bot':
      case 'shard':
        return buildBot(config, role, resources, options);
      case 'trainer':
        return buildTrainer(config, resources);
      default:
        throw new Error(`unknown runtime role ${String(role)}`);
    }
  });
  // defineProperty, not a spread or Object.assign: those would freeze the bot runtime's `bot` getter.
  Object.defineProperty(built, 'close', { value: () => resources.close(), enumerable: true });
  return built as Runtimes[R];
}

async function openStorage(config: Config, resources: Resources): Promise<Database> {
  // Migrates a fresh database; next to a running bot nothing is pending, so the schema engine never opens the file.
  const db = await openDatabase(config.DATABASE_URL, { imagesDir: path.join(config.dataDir, 'images') });
  return resources.add('database', db, (d) => d.close());
}

function openApp(config: Config, resources: Resources, options: CreateOptions = {}): Promise<BreedbotApp> {
  return createBreedbot(config, options).then((app) => resources.add('application', app, (a) => a.close()));
}

async function buildBot(
  config: Config,
  role: 'bot' | 'shard',
  resources: Resources,
  options: RuntimeOptions,
): Promise<Omit<BotRuntime, 'close'>> {
  if (role === 'shard') assertScaleOutConfig(config, 'sharded bot');
  // Loaded here, not at the top: the CLIs build runtimes too, and need not load discord.js.
  const [{ startBot }, { loadCommands }, { deployCommands }, { startLocalDiscord }] = await Promise.all([
    import('../discord/bot.ts'),
    import('../discord/command-loader.ts'),
    import('../discord/deploy.ts'),
    import('./local-discord.ts'),
  ]);
  const discord = options.discord ?? externalDiscord(config);
  if (!discord && role === 'shard') throw new Error('a shard needs DISCORD_TOKEN (the ShardingManager passes it)');
  const sandbox = discord
    ? null
    : resources.add('sandbox Discord', await startLocalDiscord(config), (s) => s.close());
  const target: DiscordTarget = discord ?? {
    token: sandbox!.token,
    apiUrl: sandbox!.apiUrl,
    fileOrigin: sandbox!.origin,
  };

  const trusted = target.fileOrigin ? [target.fileOrigin] : [];
  const app = await openApp(config, resources, { trustedLoopbackOrigins: trusted, ...options.app });
  // Single process: /retrain and the RETRAIN_CRON schedule train here; with REDIS_URL the trainer process does.
  const serving = options.withoutServing
    ? null
    : resources.add(
        'training and model following',
        await connectServing(config, app, { schedule: role === 'bot' }),
        (s) => s.close(),
      );
  // Several shard processes cannot share one port: the API is the single process's.
  if (role === 'shard' && config.httpApi)
    log.warn('HTTP_API_PORT is set, but shards do not serve the HTTP API');
  // Loaded only when configured, so a bot without the API never loads fastify.
  const httpApi =
    role === 'bot' && config.httpApi
      ? resources.add(
          'HTTP API',
          await (await import('../http/server.ts')).startHttpApi(app, config.httpApi),
          (h) => h.close(),
        )
      : null;
  const commands = target.commands ?? (await loadCommands());
  if (sandbox) {
    await deployCommands({
      token: target.token,
      apiUrl: target.apiUrl,
      commands: commands.json,
      guildId: sandbox.guildId,
    });
  }
  const start = () =>
    startBot({
      app,
      token: target.token,
      autoClassify: config.AUTO_CLASSIFY,
      commands,
      ...(serving ? { training: serving.training } : {}),
      ...(target.apiUrl ? { apiUrl: target.apiUrl } : {}),
    });
  let bot = await start();
  // Registered last so it closes first: no new events, handlers in flight finish, then the rest.
  resources.add('Discord bot', null, () => bot.stop());
  return {
    config,
    app,
    serving,
    sandbox,
    httpApi,
    get bot() {
      return bot;
    },
    async restartBot() {
      await bot.stop();
      bot = await start();
    },
  };
}

/** DISCORD_TOKEN (and DISCORD_API_URL, when a shard talks to a local fake): the Discord named by config. */
function externalDiscord(config: Config): DiscordTarget | null {
  if (!config.DISCORD_TOKEN) return null;
  const apiUrl = config.DISCORD_API_URL;
  return {
    token: config.DISCORD_TOKEN,
    apiUrl: apiUrl ?? '',
    ...(apiUrl ? { fileOrigin: new URL(apiUrl).origin } : {}),
  };
}

async function buildTrainer(config: Config, resources: Resources): Promise<Omit<TrainerRuntime, 'close'>> {
  assertScaleOutConfig(config, 'trainer');
  const redisProblem = await probeRedis(config.REDIS_URL);
  if (redisProblem) throw new Error(redisProblem);
  const db = await openStorage(config, resources);
  const model = resources.add(
    'model',
    await loadModelGateway(config, (await activeModelVersion(db))?.id ?? null),
    (m) => m.dispose(),
  );
  const broadcast = resources.add(
    'model broadcast',
    new RedisModelBroadcast(config.REDIS_URL, config.REDIS_PREFIX),
    (b) => b.close(),
  );
  const learning = resources.add(
    'learning loop',
    startLearning({ db, model }, config, { schedule: false }),
    (l) => l.close(),
  );
  // Training starts from the active head: follow rollbacks made on the shards.
  const modelFollower = resources.add(
    'model follower',
    new ModelFollower({
      syncWithDatabase: () => learning.loop.syncWithDatabase(),
      broadcast,
      pollIntervalMs: config.MODEL_SYNC_INTERVAL_S * 1000,
    }),
    (f) => f.close(),
  );
  await modelFollower.start();
  const runner = learningLoopRunner(learning.loop, { beforeEach: () => modelFollower.sync() });
  resources.add(
    'training worker',
    await startTrainingWorker({
      redisUrl: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      runner: announcingRunner(runner, broadcast),
    }),
    (w) => w.close(),
  );
  // The schedule enqueues like a moderator would, so it never overlaps a /retrain.
  const queue = resources.add(
    'training queue',
    await BullTrainingQueue.open({ redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX }),
    (q) => q.close(),
  );
  resources.add(
    'retraining schedule',
    scheduleQueuedRetraining(learning.loop, queue, {
      cron: config.RETRAIN_CRON,
      minNewLabels: config.RETRAIN_MIN_NEW_LABELS,
    }),
    (s) => s.stop(),
  );
  return { config, db, model, learning };
}

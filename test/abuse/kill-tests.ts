/**
 * `kill -9` at the worst moments, then a restart: during training, during the model swap, right after a
 * promotion, and during a burst of label writes through the fake Discord. After each: the SQLite file passes its
 * integrity checks, the database's active model version is the one that serves after the restart, and every
 * label the bot had acknowledged to someone is still there.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createBreedbot } from '../../src/app/create.ts';
import { loadConfig, projectRoot } from '../../src/config.ts';
import { loadCommands } from '../../src/discord/command-loader.ts';
import { deployCommands } from '../../src/discord/deploy.ts';
import { log } from '../../src/log.ts';
import { listVersions } from '../../src/model/registry.ts';
import { startFakeDiscord, type FakeDiscord, type FakeMessage } from '../../src/sandbox/fake-discord/index.ts';
import { NO_RATE_LIMITS } from './bot-rig.ts';
import { eventLine, spawnEntry } from './child-process.ts';
import { checkSqliteStore, labelsInFile, type IntegrityReport } from './integrity.ts';
import { dogPhotos, sharedModelEnv } from '../helpers/shared-data.ts';

export interface KillTestResult {
  name: string;
  passed: boolean;
  problems: string[];
  details: Record<string, unknown>;
}

export interface KillTestReport {
  killTests: number;
  killTestsPassed: number;
  results: KillTestResult[];
}

const TRAIN_DIR = path.resolve(projectRoot, '../shared/datasets/imagewoof/train');
/** Shih-Tzu, Border terrier, Samoyed: enough labels for a training run that usually promotes. */
const TRAIN_SYNSETS: [string, string][] = [
  ['n02086240', 'Shih-Tzu'],
  ['n02093754', 'Border terrier'],
  ['n02111889', 'Samoyed'],
];

interface Workspace {
  dir: string;
  dbFile: string;
  env: Record<string, string>;
}

function workspaceEnv(dir: string): Workspace {
  const dbFile = path.join(dir, 'breedbot.db');
  return {
    dir,
    dbFile,
    env: {
      ...sharedModelEnv,
      ...NO_RATE_LIMITS,
      DATABASE_URL: `file:${dbFile}`,
      DATA_DIR: path.join(dir, 'data'),
      MODELS_DIR: path.join(dir, 'models'),
    },
  };
}

const imagesDir = (w: Workspace) => path.join(w.dir, 'data', 'images');

/** A database with labelled photos (and their embeddings) of three breeds, to train on. */
async function trainingTemplate(perBreed: number): Promise<Workspace> {
  const w = workspaceEnv(mkdtempSync(path.join(os.tmpdir(), 'breedbot-kill-template-')));
  const app = await createBreedbot(loadConfig({ ...process.env, ...w.env }));
  try {
    let n = 0;
    for (const [synset, name] of TRAIN_SYNSETS) {
      const breed = await app.store.resolveBreed(name);
      if (!breed) throw new Error(`the breed list has no ${name}`);
      const files = readdirSync(path.join(TRAIN_DIR, synset)).sort().slice(0, perBreed);
      for (const file of files) {
        const c = await app.classifyImageBytes(readFileSync(path.join(TRAIN_DIR, synset, file)), {
          guildId: '1',
          channelId: '2',
          messageId: String(1000 + n++),
          userId: 'poster',
        });
        await app.store.setLabel({
          imageId: c.imageId,
          userId: 'labeller',
          breed,
          source: 'command',
          guildId: '1',
          modelVersion: c.result.modelVersion,
          predictionId: c.predictionId,
        });
      }
    }
  } finally {
    await app.close();
  }
  return w;
}

function copyWorkspace(template: Workspace): Workspace {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-kill-'));
  cpSync(template.dir, dir, { recursive: true });
  return workspaceEnv(dir);
}

function modelVersionRows(dbFile: string): { id: string; status: string }[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare('SELECT id, status FROM "ModelVersion" ORDER BY id').all() as {
      id: string;
      status: string;
    }[];
  } finally {
    db.close();
  }
}

interface RestartCheck {
  servingVersion: string;
  databaseActive: string;
  classifiedWith: string | null;
}

/** What a fresh start of the app on the same files serves, and whether it classifies a photo with it. */
async function restartAndCheck(w: Workspace): Promise<RestartCheck> {
  const app = await createBreedbot(loadConfig({ ...process.env, ...w.env }));
  try {
    const databaseActive = (await app.store.activeModelVersion()) ?? app.model.runtime.baseVersion;
    const photo = readFileSync(dogPhotos(1)[0]!);
    const c = await app
      .classifyImageBytes(photo, {
        guildId: null,
        channelId: '3',
        interactionId: `restart-check-${Date.now()}`,
        userId: 'restart-check',
      })
      .catch((err: unknown) => {
        log.warn({ err }, 'abuse: the restarted app could not classify a photo');
        return null;
      });
    return {
      servingVersion: app.model.activeVersion(),
      databaseActive,
      classifiedWith: c?.result.modelVersion ?? null,
    };
  } finally {
    await app.close();
  }
}

/** The checks every kill test shares: integrity right after the crash, complete version folders, restart. */
async function afterCrash(
  w: Workspace,
  problems: string[],
): Promise<{ integrity: IntegrityReport; restart: RestartCheck }> {
  const integrity = checkSqliteStore(w.dbFile, imagesDir(w));
  if (!integrity.ok) problems.push(`integrity after the kill: ${JSON.stringify(integrity)}`);
  const { broken, versions } = await listVersions(path.join(w.dir, 'models'));
  if (broken.length) problems.push(`half-written model versions: ${broken.join(', ')}`);
  const onDisk = new Set(versions.map((v) => v.version));
  for (const row of modelVersionRows(w.dbFile))
    if (!onDisk.has(row.id)) problems.push(`model version ${row.id} (${row.status}) has no files`);
  const restart = await restartAndCheck(w);
  if (restart.servingVersion !== restart.databaseActive)
    problems.push(`after restart serving ${restart.servingVersion}, database says ${restart.databaseActive}`);
  if (restart.classifiedWith !== restart.servingVersion)
    problems.push(`after restart a photo was classified with ${restart.classifiedWith}`);
  return { integrity, restart };
}

type Moment = 'training' | 'swap' | 'promoted';

/** Starts a retrain in a child process and kills it at `moment`. */
async function killRetrain(template: Workspace, moment: Moment): Promise<KillTestResult> {
  const w = copyWorkspace(template);
  const problems: string[] = [];
  const details: Record<string, unknown> = {};
  try {
    const before = modelVersionRows(w.dbFile);
    // A long training for the kill during training; the default (short) one to reach the swap.
    const child = spawnEntry(
      'test/abuse/kill-child.ts',
      moment === 'training' ? ['retrain', '400'] : ['retrain'],
      w.env,
    );
    const strike =
      moment === 'training'
        ? eventLine('progress', (d) => typeof d.epoch === 'number' && d.epoch >= 1)
        : moment === 'swap'
          ? eventLine('progress', (d) => Number(d.fraction) >= 0.97)
          : eventLine('done');
    const line = await child
      .waitForLine(strike, 300_000, `the ${moment} moment`)
      .catch(async (e: unknown) => {
        await child.kill9();
        throw e;
      });
    details.killedAt = JSON.parse(line);
    details.exit = await child.kill9();
    const after = modelVersionRows(w.dbFile);
    details.versionsAfter = after;
    const { integrity, restart } = await afterCrash(w, problems);
    details.integrity = integrity;
    details.restart = restart;
    if (moment === 'training' && after.length !== before.length)
      problems.push('a training killed before it finished left a model version behind');
    if (moment === 'promoted') {
      const done = JSON.parse(line) as { status: string; version: string | null };
      if (done.status === 'promoted' && restart.servingVersion !== done.version)
        problems.push(`promoted ${done.version} but after restart ${restart.servingVersion} serves`);
    }
  } catch (error) {
    problems.push(`run failed: ${(error as Error).message}`);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
  return {
    name: `kill -9 ${moment === 'promoted' ? 'right after a promotion' : `during ${moment}`}`,
    passed: problems.length === 0,
    problems,
    details,
  };
}

const NUMBERED_BREEDS = /\*\*(.+?)\*\*/g;
const listedBreeds = (m: FakeMessage) =>
  [...(m.embeds[0]?.description ?? '').matchAll(NUMBERED_BREEDS)]
    .map((x) => x[1]!.replace(/\\/g, ''))
    .filter((b) => !b.startsWith('Not sure'));

/** The bot process (src/main.ts) connected to the fake Discord of this process. */
function startBotProcess(fake: FakeDiscord, w: Workspace) {
  const child = spawnEntry('src/main.ts', [], {
    ...w.env,
    DISCORD_TOKEN: fake.token,
    DISCORD_API_URL: fake.apiUrl,
    // The fake's CDN is on 127.0.0.1.
    FETCH_ALLOW_LOOPBACK: 'true',
  });
  return child;
}

/**
 * The bot runs as its own process against this process's fake Discord. People fire /label commands; once some
 * were acknowledged ("Thanks!"), the bot is SIGKILLed mid-burst and started again.
 */
async function killDuringLabelWrites(people = 12, photos = 4, killAfterAcks = 10): Promise<KillTestResult> {
  const w = workspaceEnv(mkdtempSync(path.join(os.tmpdir(), 'breedbot-kill-labels-')));
  const problems: string[] = [];
  const details: Record<string, unknown> = {};
  const fake = await startFakeDiscord();
  const channelId = fake.channel('dog-photos').id;
  const guildId = fake.guild.guild.id;
  const replyTo = (messageId: string, reactions: number) =>
    fake.waitForBotReply(messageId, reactions, 60_000);
  let bot = startBotProcess(fake, w);
  try {
    const commands = await loadCommands();
    await deployCommands({ token: fake.token, apiUrl: fake.apiUrl, commands: commands.json, guildId });
    await bot.waitForLine((l) => l.includes('connected to Discord'), 120_000, 'the bot');
    const persons = Array.from({ length: people }, (_, i) => fake.addPerson(`writer${i}`));
    const replies: FakeMessage[] = [];
    for (const [i, file] of dogPhotos(photos).entries()) {
      const posted = await fake.postMessage({
        channelId,
        userId: 'alice',
        files: [{ filename: `kill-${i}.jpg`, bytes: readFileSync(file), contentType: 'image/jpeg' }],
      });
      replies.push(await replyTo(posted.id, 6));
    }
    const acked = new Map<string, { replyId: string; userId: string; breed: string }>();
    let resolveEnough!: () => void;
    const enough = new Promise<void>((r) => (resolveEnough = r));
    const burst = persons.flatMap((person, p) =>
      replies.map(async (reply, r) => {
        const breed = listedBreeds(reply)[(p + r) % 5]!;
        const run = await fake.runCommand({
          name: 'label',
          userId: person.id,
          channelId,
          options: { breed, message: `https://discord.com/channels/${guildId}/${channelId}/${reply.id}` },
        });
        const answer = await run
          .waitForReply((m) => m.content.startsWith('Thanks!'), 60_000)
          .catch((err: unknown) => {
            log.warn({ err }, 'abuse: the restarted app could not classify a photo');
            return null;
          });
        if (answer) {
          acked.set(`${person.id} ${reply.id}`, { replyId: reply.id, userId: person.id, breed });
          if (acked.size >= killAfterAcks) resolveEnough();
        }
      }),
    );
    await Promise.race([enough, Promise.allSettled(burst)]);
    details.exit = await bot.kill9();
    const ackedAtKill = new Map(acked);
    details.sent = people * photos;
    details.acknowledgedBeforeKill = ackedAtKill.size;

    const integrity = checkSqliteStore(w.dbFile, imagesDir(w));
    details.integrity = integrity;
    if (!integrity.ok) problems.push(`integrity after the kill: ${JSON.stringify(integrity)}`);

    bot = startBotProcess(fake, w);
    await bot.waitForLine((l) => l.includes('connected to Discord'), 120_000, 'the restarted bot');
    const imageOfReply = new Map<string, string>();
    {
      const db = new Database(w.dbFile, { readonly: true });
      for (const row of db
        .prepare('SELECT "replyMessageId" AS r, "imageId" AS i FROM "Prediction"')
        .all() as {
        r: string | null;
        i: string;
      }[])
        if (row.r) imageOfReply.set(row.r, row.i);
      db.close();
    }
    const stored = labelsInFile(w.dbFile);
    const missing = [...ackedAtKill.values()].filter(
      (a) => stored.get(`${a.userId} ${imageOfReply.get(a.replyId)}`) !== a.breed,
    );
    details.acknowledgedMissing = missing.length;
    details.labelsStored = stored.size;
    if (missing.length) problems.push(`${missing.length} acknowledged labels are missing after the restart`);

    // The restarted bot works: a new photo gets its top-5 from the model the database names.
    const posted = await fake.postMessage({
      channelId,
      userId: 'bob',
      files: [
        {
          filename: 'after.jpg',
          bytes: readFileSync(dogPhotos(photos + 1)[photos]!),
          contentType: 'image/jpeg',
        },
      ],
    });
    const after = await replyTo(posted.id, 0);
    if (after.embeds.length === 0) problems.push(`the restarted bot answered "${after.content}"`);
    details.afterRestartFooter = after.embeds[0]?.footer?.text;
    bot.process.kill('SIGTERM');
    details.restartedExit = await bot.exited;
  } catch (error) {
    problems.push(`run failed: ${(error as Error).message}`);
  } finally {
    await bot.kill9();
    await fake.close();
    rmSync(w.dir, { recursive: true, force: true });
  }
  return {
    name: 'kill -9 during label writes (bot process, fake Discord)',
    passed: problems.length === 0,
    problems,
    details,
  };
}

export interface KillTestOptions {
  /** Labelled training photos per breed (3 breeds; default 15). */
  trainPerBreed?: number;
}

export async function runKillTests(options: KillTestOptions = {}): Promise<KillTestReport> {
  const results: KillTestResult[] = [];
  results.push(await killDuringLabelWrites());
  const template = await trainingTemplate(options.trainPerBreed ?? 15);
  try {
    for (const moment of ['training', 'swap', 'promoted'] as const)
      results.push(await killRetrain(template, moment));
  } finally {
    rmSync(template.dir, { recursive: true, force: true });
  }
  for (const r of results)
    log.info({ test: r.name, passed: r.passed, problems: r.problems }, 'abuse: kill test');
  return { killTests: results.length, killTestsPassed: results.filter((r) => r.passed).length, results };
}

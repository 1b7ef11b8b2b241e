/**
 * The learning loop end to end through the fake Discord: real discord.js bot, real model on ../shared's
 * MobileNet, real SQLite, the real training worker. People react and /label, a moderator runs /retrain, the
 * promoted version answers the next photo; noise is rejected; a killed training changes nothing; rollbacks.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { createBreedbot, type BreedbotApp } from '../src/app/create.ts';
import { projectRoot, type Config } from '../src/config.ts';
import { startBot, type RunningBot } from '../src/discord/bot.ts';
import { listModelVersions } from '../src/storage/model-versions.ts';
import { startLearning, type Learning } from '../src/learning/index.ts';
import { startFakeDiscord, type FakeDiscord, type FakeMessage } from '../src/sandbox/fake-discord/index.ts';
import type { TrainHeadOptions } from '../src/training/types.ts';
import { sharedModelEnv, skipWithoutTrainPhotos, trainPhotos } from './helpers/shared-data.ts';
import { breedNameBySynset, deployCommandsTo, tempDirConfig } from './helpers/temp-app.ts';

const VAL_DIR = path.resolve(projectRoot, '../shared/datasets/imagewoof/val');
const skip = skipWithoutTrainPhotos;
/** Shih-Tzu, Border terrier, Samoyed. */
const SYNSETS = ['n02086240', 'n02093754', 'n02111889'];
/** A Shih-Tzu the base head calls a Tibetan terrier, and the head trained on the 45 labels below gets right. */
const PROBE = path.join(VAL_DIR, 'n02086240', 'n02086240_4220.jpg');
const NUMBERS = ['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣'];

const photos = trainPhotos;
const jpeg = (file: string) => ({
  filename: path.basename(file),
  bytes: readFileSync(file),
  contentType: 'image/jpeg',
});
const listedBreeds = (m: FakeMessage) =>
  [...(m.embeds[0]?.description ?? '').matchAll(/\*\*(.+?)\*\*/g)]
    .map((x) => x[1]!.replace(/\\/g, ''))
    .filter((b) => b !== 'Not sure: which is it?');
const footer = (m: FakeMessage) => m.embeds[0]?.footer?.text ?? '';

interface Harness {
  fake: FakeDiscord;
  app: BreedbotApp;
  bot: RunningBot;
  learning: Learning;
  config: Config;
  dir: string;
  channelId: string;
  /** Mutable trainer settings the loop reads at each run. */
  train: Partial<TrainHeadOptions>;
  workers: Worker[];
  breedOf: Map<string, string>;
}

async function startHarness(): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-e2e-learning-'));
  const config = tempDirConfig(dir, {
    // The photos of a test run come faster than people post.
    RATE_CLASSIFY_PER_USER: '1000',
    RATE_LABEL_PER_USER: '1000',
  });
  const fake = await startFakeDiscord();
  const app = await createBreedbot(config, { trustedLoopbackOrigins: [fake.baseUrl] });
  const train: Partial<TrainHeadOptions> = {};
  const workers: Worker[] = [];
  const learning = startLearning(app, config, { training: { train }, onWorker: (w) => workers.push(w) });
  const commands = await deployCommandsTo(fake);
  const bot = await startBot({
    app,
    token: fake.token,
    apiUrl: fake.apiUrl,
    autoClassify: true,
    commands,
    training: learning.control,
  });
  const breedOf = breedNameBySynset(app);
  return {
    fake,
    app,
    bot,
    learning,
    config,
    dir,
    channelId: fake.channel('dog-photos').id,
    train,
    workers,
    breedOf,
  };
}

describe('the learning loop through the fake Discord', { skip }, () => {
  let h: Harness;
  const replyTo = (messageId: string) => h.fake.waitForBotReply(messageId, 6, 60_000);
  /** Posts a photo and returns the bot's reply (with its reactions). */
  const post = async (file: string, userId = 'alice') => {
    const posted = await h.fake.postMessage({ channelId: h.channelId, userId, files: [jpeg(file)] });
    return { posted, reply: await replyTo(posted.id) };
  };
  /** A person names the breed: the matching reaction when it is among the five, else /label on that message. */
  const labelAs = async (
    reply: FakeMessage,
    postedId: string,
    breed: string,
    userKey: 'alice' | 'bob' | 'carol' | 'newbie',
  ) => {
    const [item] = await h.app.replyItems(reply.id);
    assert.ok(item, 'the reply shows a stored prediction');
    const userId = h.fake.users[userKey].id;
    const position = listedBreeds(reply).indexOf(breed);
    if (position >= 0) {
      h.fake.addReaction({ messageId: reply.id, userId: userKey, emoji: NUMBERS[position]! });
    } else {
      const run = await h.fake.runCommand({
        name: 'label',
        userId: userKey,
        channelId: h.channelId,
        options: { breed, message: postedId },
      });
      await run.reply(30_000);
    }
    const stored = async () =>
      (await h.app.store.labelsForImage(item.imageId)).some((l) => l.userId === userId && l.breed === breed);
    for (let i = 0; i < 500 && !(await stored()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(await stored(), `${userKey}'s label ${breed} was stored`);
  };
  const spammed: { posted: FakeMessage; reply: FakeMessage; synset: string }[] = [];

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.learning.close();
    await h?.bot.stop();
    await h?.app.close();
    await h?.fake.close();
    if (h) rmSync(h.dir, { recursive: true, force: true });
  });

  test('a spammer’s random labels make a candidate that is rejected; the base model keeps serving', async () => {
    const spamBreeds = ['Shih-Tzu', 'Border Terrier', 'Samoyed', 'Beagle', 'Golden Retriever'];
    let seed = 7;
    for (const synset of SYNSETS) {
      for (const file of photos(synset, 15, 25)) {
        const { posted, reply } = await post(file);
        spammed.push({ posted, reply, synset });
        seed = (seed * 1103515245 + 12345) % 2147483648;
        await labelAs(reply, posted.id, spamBreeds[seed % spamBreeds.length]!, 'newbie');
      }
    }
    const run = await h.fake.runCommand({ name: 'retrain', userId: 'moderator', channelId: h.channelId });
    const done = await run.waitForReply((m) => /current one stays|now serving/.test(m.content), 120_000);
    assert.match(done.content, /was not better, so the current one stays/);
    assert.match(done.content, /look like noise/);
    assert.equal(h.app.model.activeVersion(), h.app.model.runtime.baseVersion);
    const versions = await listModelVersions(h.app.db);
    assert.equal(versions.length, 1);
    assert.equal(versions[0]!.status, 'rejected');
    const info = await h.fake.runCommand({ name: 'model info', userId: 'alice', channelId: h.channelId });
    assert.match(JSON.stringify((await info.reply()).embeds), /Last rejection/);
  });

  let promoted = '';
  let probeBefore = '';

  test('reactions → /retrain → a promoted version answers the next photo differently', async () => {
    // Two people outvote the spammer on every spammed photo (and the spammer's trust drops with it).
    for (const { posted, reply, synset } of spammed) {
      await labelAs(reply, posted.id, h.breedOf.get(synset)!, 'alice');
      await labelAs(reply, posted.id, h.breedOf.get(synset)!, 'carol');
    }
    for (const synset of SYNSETS) {
      for (const file of photos(synset, 0, 15)) {
        const { posted, reply } = await post(file);
        await labelAs(reply, posted.id, h.breedOf.get(synset)!, 'bob');
      }
    }
    const first = await post(PROBE);
    probeBefore = listedBreeds(first.reply)[0]!;
    assert.notEqual(probeBefore, 'Shih-Tzu', 'the probe photo must be one the base model gets wrong');

    const run = await h.fake.runCommand({ name: 'retrain', userId: 'moderator', channelId: h.channelId });
    const done = await run.waitForReply(
      (m) => /current one stays|now serving|failed/.test(m.content),
      120_000,
    );
    assert.match(
      done.content,
      /New model \*\*v\d{8}-\d{6}-[0-9a-f]+\*\* is now serving: holdout top-1 [\d.]+% → [\d.]+%/,
    );
    promoted = /\*\*(v[^*]+)\*\*/.exec(done.content)![1]!;
    // The answer carries the candidate's training curve and before/after accuracy, described in words.
    const charts = new Map(done.attachments.map((a) => [a.filename, a.description ?? '']));
    assert.match(
      charts.get('before-after.png') ?? '',
      /^Accuracy before and after \(holdout top-1 \(\d+ photos\)\): before [\d.]+%, after [\d.]+%/,
    );
    assert.match(
      charts.get('training-curve.png') ?? '',
      /^Training curve over \d+ epochs?: loss [\d.]+ → [\d.]+/,
    );
    // The reply was edited with progress while it trained.
    const edits = h.fake.requests.filter(
      (r) => r.method === 'PATCH' && r.path.includes(run.interaction.token),
    );
    assert.ok(
      edits.some((r) => /Training…/.test(JSON.stringify(r.body))),
      'a progress edit was sent',
    );

    assert.equal(h.app.model.activeVersion(), promoted);
    const versions = await listModelVersions(h.app.db);
    assert.deepEqual(versions.map((v) => v.status).sort(), ['active', 'rejected']);
    const active = versions.find((v) => v.status === 'active')!;
    assert.equal(active.id, promoted);
    assert.equal(active.parentId, h.app.model.runtime.baseVersion);
    assert.ok(existsSync(path.join(h.config.modelsDir, 'versions', promoted, 'head.json')));
    // 45 photos labelled by one person plus the 30 the crowd took back from the spammer.
    assert.equal((active.metrics as { labels: number }).labels, 75);
    const { curve, epochs } = active.metrics as { curve: unknown[]; epochs: number };
    assert.equal(curve.length, epochs, 'each epoch of the head is kept for the training curve');

    const again = await post(PROBE, 'bob');
    assert.match(footer(again.reply), new RegExp(`model ${promoted}`));
    assert.equal(listedBreeds(again.reply)[0], 'Shih-Tzu');
    assert.notEqual(listedBreeds(again.reply)[0], probeBefore);

    const info = await h.fake.runCommand({ name: 'model info', userId: 'alice', channelId: h.channelId });
    const infoReply = await info.reply();
    assert.match(JSON.stringify(infoReply.embeds), new RegExp(promoted));
    assert.deepEqual(infoReply.attachments.map((a) => a.filename).sort(), [
      'before-after.png',
      'training-curve.png',
    ]);
  });

  test('a second /retrain while training is told how far it is; killing the worker changes nothing', async () => {
    const versionsBefore = await listModelVersions(h.app.db);
    const foldersBefore = readdirSync(path.join(h.config.modelsDir, 'versions')).sort();
    // A training that would run for a long time, so there is one to ask about and to kill.
    Object.assign(h.train, { maxEpochs: 1_000_000, patience: 1_000_000 });
    const workersBefore = h.workers.length;
    // A label given since the promoted version, or there would be nothing new to learn (and no training).
    const extra = await post(photos(SYNSETS[0]!, 25, 26)[0]!);
    await labelAs(extra.reply, extra.posted.id, h.breedOf.get(SYNSETS[0]!)!, 'bob');
    const run = await h.fake.runCommand({ name: 'retrain', userId: 'moderator', channelId: h.channelId });
    await run.waitForReply((m) => /epoch \d+/.test(m.content), 60_000);
    const second = await h.fake.runCommand({ name: 'retrain', userId: 'owner', channelId: h.channelId });
    assert.match((await second.reply()).content, /Already training, \d+% done/);

    assert.equal(h.workers.length, workersBefore + 1);
    await h.workers.at(-1)!.terminate();
    const failed = await run.waitForReply((m) => /failed/i.test(m.content), 30_000);
    assert.match(failed.content, /Training failed: training worker exited/);
    assert.match(failed.content, /current model keeps serving/);

    assert.equal(h.app.model.activeVersion(), promoted);
    assert.deepEqual(await listModelVersions(h.app.db), versionsBefore);
    assert.deepEqual(readdirSync(path.join(h.config.modelsDir, 'versions')).sort(), foldersBefore);

    // The next run starts clean.
    for (const key of Object.keys(h.train)) delete h.train[key as keyof TrainHeadOptions];
    const next = await h.learning.loop.retrain({ requestedBy: 'test', reason: 'cli' });
    assert.ok(
      next.status === 'promoted' || next.status === 'rejected',
      `status ${next.status}: ${next.reason}`,
    );
    assert.equal((await listModelVersions(h.app.db)).length, versionsBefore.length + 1);
  });

  test('/model rollback serves an earlier version again; the CLI rollback is followed from the database', async () => {
    const base = h.app.model.runtime.baseVersion;
    const run = await h.fake.runCommand({
      name: 'model rollback',
      userId: 'moderator',
      channelId: h.channelId,
      options: { version: base },
    });
    assert.match((await run.reply(30_000)).content, new RegExp(`Now serving \`${base}\``));
    assert.equal(h.app.model.activeVersion(), base);
    const baseReply = await post(PROBE, 'carol');
    assert.equal(listedBreeds(baseReply.reply)[0], probeBefore);
    assert.ok((await listModelVersions(h.app.db)).every((v) => v.status !== 'active'));

    const refused = await h.fake.runCommand({
      name: 'model rollback',
      userId: 'moderator',
      channelId: h.channelId,
      options: { version: (await listModelVersions(h.app.db)).find((v) => v.status === 'rejected')!.id },
    });
    assert.match((await refused.reply(30_000)).content, /never passed its checks/);

    // The CLI works on the database (and the version files); the running bot follows it.
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/model.ts', 'rollback', promoted, '--json'],
      {
        cwd: projectRoot,
        encoding: 'utf8',
        env: {
          ...process.env,
          ...sharedModelEnv,
          DATABASE_URL: h.config.DATABASE_URL,
          DATA_DIR: h.config.dataDir,
          MODELS_DIR: h.config.modelsDir,
        },
      },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).activeVersion, promoted);
    assert.equal(h.app.model.activeVersion(), base, 'the bot changes only when it syncs');
    assert.equal(await h.learning.loop.syncWithDatabase(), promoted);
    const after = await post(PROBE, 'alice');
    assert.match(footer(after.reply), new RegExp(`model ${promoted}`));
    assert.equal(listedBreeds(after.reply)[0], 'Shih-Tzu');
  });
});

/**
 * The scale-out shape end to end (issue 6 §4): `npm run start:shards` (discord.js ShardingManager, 2 shard
 * processes) and `npm run trainer` as real child processes, against the local fake Discord with 2 shards, one
 * PostgreSQL schema and one Redis prefix made for this run. Photos in a guild on each shard get top-5 replies;
 * labels collected on both shards train a model in the trainer after a moderator's /retrain on shard 0; the
 * promotion reaches BOTH shards by the Redis broadcast alone (database polling is off), and so does a rollback
 * made on shard 1.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectRoot } from '../src/config.ts';
import { startFakeDiscord, type FakeDiscord, type FakeMessage } from '../src/sandbox/fake-discord/index.ts';
import { imagewoofValDir, sharedModelDir, skipWithoutPhotos } from './helpers/shared-data.ts';
import { pgSkipReason, TEST_PG_URL } from './helpers/storage-backends.ts';
import { dropPrefix, freshPrefix, redisSkipReason, TEST_REDIS_URL } from './scale-redis.ts';
import pg from 'pg';
import { deployCommandsTo } from './helpers/temp-app.ts';

const otherBreedsDir = path.resolve(projectRoot, '../shared/datasets/otherbreeds');
const skip = skipWithoutPhotos || pgSkipReason || redisSkipReason;

/** Photos people label (true breed → first files of imagewoof/val) and photos nobody labels. */
const LABELLED: { breed: string; synset: string; count: number }[] = [
  { breed: 'Beagle', synset: 'n02088364', count: 5 },
  { breed: 'Samoyed', synset: 'n02111889', count: 5 },
  { breed: 'Shih-Tzu', synset: 'n02086240', count: 5 },
];
// Enough unlabelled photos that the trainer keeps the active model's answers on them (with 24, whether the forgetting
// guard passed depended on which of them fell on its side of the split: 88.9% against the 90% minimum).
const UNLABELLED = 40;

const photosOf = (dir: string, n: number) =>
  readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .slice(0, n)
    .map((f) => path.join(dir, f));
const otherBreedPhotos = (n: number) =>
  readdirSync(otherBreedsDir)
    .sort()
    .flatMap((d) => photosOf(path.join(otherBreedsDir, d), 1))
    .slice(0, n);

const jpeg = (file: string) => ({
  filename: path.basename(file),
  bytes: readFileSync(file),
  contentType: 'image/jpeg',
});
const footer = (m: FakeMessage) => m.embeds[0]?.footer?.text ?? '';
const shardOf = (guildId: string) => Number((BigInt(guildId) >> 22n) % 2n);

/** A child process whose output is kept (shown when a test fails) and that can be awaited for a line. */
class Child {
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;
  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 400) this.output.shift();
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  }
  tail(chars = 4000): string {
    return this.output.join('').slice(-chars);
  }
  async waitForLine(pattern: RegExp, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!pattern.test(this.output.join(''))) {
      if (this.proc.exitCode !== null) throw new Error(`${this.name} exited early:\n${this.tail()}`);
      if (Date.now() > end)
        throw new Error(`${this.name} did not print ${pattern} in ${ms} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null) this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 30_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

function startEntry(name: string, script: string, env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Child(name, proc);
}

describe('2 shards + PostgreSQL + Redis + trainer process', { skip }, () => {
  const schema = `bb_shards_${randomBytes(4).toString('hex')}`;
  const databaseUrl = `${TEST_PG_URL}${TEST_PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  const prefix = freshPrefix('shards');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-shards-'));
  let fake: FakeDiscord;
  let shards: Child;
  let trainer: Child;
  /** The guild (and a channel of it) on shard 0 and on shard 1. */
  const onShard: { guildId: string; channelId: string; moderator: 'moderator' | 'owner' }[] = [];

  before(async () => {
    fake = await startFakeDiscord({ shards: 2 });
    await deployCommandsTo(
      fake,
      fake.guilds.map((g) => g.guild.id),
    );
    for (const g of fake.guilds) {
      onShard[shardOf(g.guild.id)] = {
        guildId: g.guild.id,
        channelId: g.channels.at(-1)!.id,
        // The fake gives the moderator role in its first guild; the owner may moderate anywhere.
        moderator: g === fake.guilds[0] ? 'moderator' : 'owner',
      };
    }
    assert.ok(onShard[0] && onShard[1], 'the fake puts one guild on each shard');

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      SHARD_COUNT: '2',
      // Only the broadcast may bring a new model to a shard in this test.
      MODEL_SYNC_INTERVAL_S: '0',
      BACKBONE: 'mobilenet_v1_0.75_224',
      BASE_MODEL: sharedModelDir,
      EMBED_ENGINE: 'inprocess',
      RATE_CLASSIFY_PER_USER: '10000',
      RATE_CLASSIFY_PER_GUILD: '10000',
      RATE_LABEL_PER_USER: '10000',
      RATE_LABEL_PER_GUILD: '10000',
      DATA_DIR: path.join(dir, 'data'),
      MODELS_DIR: path.join(dir, 'models'),
    };
    shards = startEntry('npm run start:shards', 'src/sharded-main.ts', env);
    await shards.waitForLine(/breedbot: 2 shards on Discord/, 240_000);
    trainer = startEntry('npm run trainer', 'src/trainer-main.ts', env);
    await trainer.waitForLine(/breedbot trainer: waiting for \/retrain jobs/, 120_000);
  });

  after(async () => {
    const codes = await Promise.all([shards?.stop(), trainer?.stop()]);
    await fake?.close();
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    await dropPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(codes, [0, 0], 'the manager and the trainer shut down cleanly on SIGTERM');
  });

  const replyTo = (messageId: string, reactions = 6) => fake.waitForBotReply(messageId, reactions, 60_000);
  const post = async (shard: number, file: string) => {
    const posted = await fake.postMessage({
      channelId: onShard[shard]!.channelId,
      userId: 'alice',
      files: [jpeg(file)],
    });
    return replyTo(posted.id);
  };
  const withLogs = async (work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      console.log(`--- shards ---\n${shards.tail()}\n--- trainer ---\n${trainer.tail()}`);
      throw error;
    }
  };

  test('a photo in a guild on each shard gets the top-5 from that shard, on the base model', () =>
    withLogs(async () => {
      const beagle = photosOf(path.join(imagewoofValDir, 'n02088364'), 1)[0]!;
      const [a, b] = await Promise.all([post(0, beagle), post(1, beagle)]);
      for (const reply of [a, b]) {
        assert.match(reply.embeds[0]!.description ?? '', /Beagle/);
        assert.match(footer(reply), /^model base-mobilenet_v1_0\.75_224/);
        assert.deepEqual(
          reply.reactions.map((r) => r.emoji.name),
          ['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣', '❌'],
        );
      }
      assert.notEqual(a.channel_id, b.channel_id);
    }));

  let promoted = '';

  test("labels from both shards, a moderator's /retrain on shard 0: the trainer promotes a version and both shards serve it", () =>
    withLogs(async () => {
      // Photos nobody labels (the forgetting guard compares the candidate with the active model on them).
      const others = otherBreedPhotos(UNLABELLED);
      await Promise.all(
        [0, 1].map(async (s) => {
          for (const file of others.filter((_, i) => i % 2 === s)) await post(s, file);
        }),
      );
      // Labelled photos, alternating shards, labelled with /label right after the reply.
      let n = 0;
      for (const { breed, synset, count } of LABELLED) {
        for (const file of photosOf(path.join(imagewoofValDir, synset), count + 1).slice(1)) {
          const shard = n++ % 2;
          await post(shard, file);
          const run = await fake.runCommand({
            name: 'label',
            userId: 'bob',
            channelId: onShard[shard]!.channelId,
            options: { breed },
          });
          assert.match((await run.reply()).content, new RegExp(breed), 'the label was taken');
        }
      }

      const retrain = await fake.runCommand({
        name: 'retrain',
        userId: onShard[0]!.moderator,
        channelId: onShard[0]!.channelId,
      });
      // Progress from the trainer reaches the moderator on shard 0 ...
      await retrain.waitForReply(
        (m) => /Training…/.test(m.content) || /New model|not better/.test(m.content),
        120_000,
      );
      // ... and shard 1 knows a training is under way.
      const second = await fake.runCommand({
        name: 'retrain',
        userId: onShard[1]!.moderator,
        channelId: onShard[1]!.channelId,
      });
      const secondReply = await second.reply(30_000);
      const final = await retrain.waitForReply(
        (m) => /New model|not better|Nothing to train|failed/.test(m.content),
        180_000,
      );
      if (!/New model|not better/.test(retrain.original()?.content ?? '')) assert.fail(final.content);
      assert.match(secondReply.content, /Already training, \d+% done\./);

      const match = /New model \*\*(v\d{8}-\d{6}-[0-9a-f]+)\*\* is now serving/.exec(final.content);
      assert.ok(match, `the candidate was promoted: ${final.content}`);
      promoted = match[1]!;
      console.log(`# /retrain on shard 0: ${final.content}`);

      // Both shards swapped by the broadcast: the next photo on each is served by the new version.
      const beagle = photosOf(path.join(imagewoofValDir, 'n02088364'), 8).at(-1)!;
      for (const shard of [0, 1]) {
        const reply = await waitForVersion(shard, beagle, promoted);
        assert.match(footer(reply), new RegExp(`^model ${promoted}`));
      }
      for (const shard of [0, 1]) {
        const info = await fake.runCommand({
          name: 'model info',
          userId: 'carol',
          channelId: onShard[shard]!.channelId,
        });
        const embed = (await info.reply()).embeds[0]!;
        assert.match(embed.fields!.find((f) => f.name === 'Active version')!.value, new RegExp(promoted));
      }
    }));

  test('a rollback on shard 1 reaches shard 0 too', { skip: false }, () =>
    withLogs(async () => {
      assert.ok(promoted, 'needs the promotion above');
      const base = 'base-mobilenet_v1_0.75_224';
      const run = await fake.runCommand({
        name: 'model rollback',
        userId: onShard[1]!.moderator,
        channelId: onShard[1]!.channelId,
        options: { version: base },
      });
      assert.match(
        (await run.reply(30_000)).content,
        new RegExp(`Now serving \`${base.replace(/\./g, '\\.')}\``),
      );
      const beagle = photosOf(path.join(imagewoofValDir, 'n02088364'), 9).at(-1)!;
      for (const shard of [0, 1]) await waitForVersion(shard, beagle, base);
    }),
  );

  test('a training that fails in the trainer is reported on the shard and changes no model anywhere', () =>
    withLogs(async () => {
      // The trainer cannot write its version folder: MODELS_DIR/versions is a file for this test.
      const versions = path.join(dir, 'models', 'versions');
      renameSync(versions, `${versions}.away`);
      writeFileSync(versions, 'not a folder');
      try {
        const run = await fake.runCommand({
          name: 'retrain',
          userId: onShard[1]!.moderator,
          channelId: onShard[1]!.channelId,
        });
        const reply = await run.waitForReply(
          (m) => /^(Training failed|New model|The new model|Nothing)/.test(m.content),
          180_000,
        );
        assert.match(reply.content, /^Training failed: .*The current model keeps serving\.$/);
      } finally {
        rmSync(versions, { force: true });
        renameSync(`${versions}.away`, versions);
      }
      const base = 'base-mobilenet_v1_0.75_224';
      const beagle = photosOf(path.join(imagewoofValDir, 'n02088364'), 10).at(-1)!;
      for (const shard of [0, 1]) {
        assert.match(footer(await post(shard, beagle)), new RegExp(`^model ${base.replace(/\./g, '\\.')}`));
        const info = await fake.runCommand({
          name: 'model info',
          userId: 'carol',
          channelId: onShard[shard]!.channelId,
        });
        const embed = (await info.reply()).embeds[0]!;
        assert.match(
          embed.fields!.find((f) => f.name === 'Active version')!.value,
          new RegExp(base.replace(/\./g, '\\.')),
        );
      }
      // The queue is free again: the next request is accepted (and trains on the same labels).
      const again = await fake.runCommand({
        name: 'retrain',
        userId: onShard[0]!.moderator,
        channelId: onShard[0]!.channelId,
      });
      const outcome = await again.waitForReply(
        (m) => /^(Training failed|New model|The new model|Nothing)/.test(m.content),
        180_000,
      );
      assert.match(outcome.content, /^(New model|The new model)/);
    }));

  /** Posts the photo on a shard until its reply is served by `version` (a broadcast takes a moment). */
  async function waitForVersion(shard: number, file: string, version: string): Promise<FakeMessage> {
    const end = Date.now() + 30_000;
    for (;;) {
      const reply = await post(shard, file);
      if (footer(reply).startsWith(`model ${version}`)) return reply;
      if (Date.now() > end) assert.fail(`shard ${shard} still serves ${footer(reply)}, not ${version}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
});

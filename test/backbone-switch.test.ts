/**
 * Switching the backbone of a running bot keeps what people taught it, end to end through SQLite: real photos
 * from ../shared through real sharp, the real MobileNet v1 and MobileNet-EdgeTPU files, the real training worker,
 * the real discord.js bot on the fake Discord. Labels (a user-created breed among them) are given under v1, a
 * moderator's `/model switch` re-embeds every stored photo with EdgeTPU, trains a head from EdgeTPU's base head,
 * passes the evaluation gate and is hot-swapped in; a restart serves it on its backbone whatever BACKBONE says;
 * a rollback brings v1 back.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TrainingProgress } from '../src/features/training/types.ts';
import { createBreedbot, type BreedbotApp } from '../src/app/create.ts';
import { projectRoot, type Config } from '../src/config.ts';
import { openDatabase } from '../src/storage/database.ts';
import { activeModelVersion, getModelVersion } from '../src/storage/model-versions.ts';
import { startBot, type RunningBot } from '../src/discord/bot.ts';
import { startLearning, type Learning } from '../src/learning/index.ts';
import { startFakeDiscord, type FakeDiscord } from '../src/sandbox/fake-discord/index.ts';
import { sharedModelEnv, skipWithoutTrainPhotos, trainPhotos } from './helpers/shared-data.ts';
import { deployCommandsTo, tempDirConfig } from './helpers/temp-app.ts';

const EDGETPU = 'mobilenet_edgetpu_224_1.0';
const V1 = 'mobilenet_v1_0.75_224';
const edgeTpuFile = path.resolve(
  projectRoot,
  '../shared/models/mobilenet_edgetpu_224_1.0/mobilenet_edgetpu_224_1.0_uint8.tflite',
);
const skip =
  skipWithoutTrainPhotos ||
  (existsSync(edgeTpuFile) ? false : 'needs ../shared/models/mobilenet_edgetpu_224_1.0 (absent)');
/** Photos of a Rhodesian Ridgeback that people name as a breed of their own. */
const NEW_BREED = 'Lionback Hound';
const NEW_BREED_SYNSET = 'n02087394';
/** Photos per breed the model knows, and of the new breed (enough to learn it, too few for a holdout of it). */
const PER_BREED = 15;
const NEW_BREED_PHOTOS = 12;
const photos = trainPhotos;

describe('switching the backbone of a running bot', { skip }, () => {
  let dir: string;
  let config: Config;
  let app: BreedbotApp;
  let learning: Learning;
  let fake: FakeDiscord;
  let bot: RunningBot;
  let channelId: string;
  let seq = 0;

  const source = () => ({ guildId: 'g', channelId: 'c', messageId: `m${++seq}`, userId: 'poster' });
  async function postAndLabel(file: string, breed: string) {
    const at = source();
    await app.classifyImageBytes(readFileSync(file), at);
    await app.labelByCommand({
      guildId: 'g',
      channelId: 'c',
      userId: 'mod',
      breed,
      messageRef: { messageId: at.messageId },
      isModerator: true,
    });
  }
  const topBreed = async (file: string) =>
    (await app.classifyImageBytes(readFileSync(file), source())).result.top5[0]?.breed;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-backbone-switch-'));
    config = tempDirConfig(dir, {
      EMBED_ENGINE: 'inprocess',
      RATE_CLASSIFY_PER_USER: '100000',
      RATE_LABEL_PER_USER: '100000',
    });
    fake = await startFakeDiscord();
    channelId = fake.channel('dog-photos').id;
    app = await createBreedbot(config);
    learning = startLearning(app, config);
    const commands = await deployCommandsTo(fake);
    bot = await startBot({
      app,
      token: fake.token,
      apiUrl: fake.apiUrl,
      autoClassify: false,
      commands,
      training: learning.control,
    });
  });
  after(async () => {
    await bot?.stop();
    await learning?.close();
    await app?.close();
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const modelSwitch = (userId: string, backbone: string) =>
    fake.runCommand({ name: 'model switch', userId, channelId, options: { backbone } });

  test('labels given on v1 → switch to EdgeTPU → promoted, user breeds kept → restart → rollback', async (t) => {
    assert.equal(app.model.backboneId, V1);
    for (const file of photos('n02086240', 0, PER_BREED)) await postAndLabel(file, 'Shih-Tzu');
    for (const file of photos('n02093754', 0, PER_BREED)) await postAndLabel(file, 'Border Terrier');
    for (const file of photos(NEW_BREED_SYNSET, 0, NEW_BREED_PHOTOS)) await postAndLabel(file, NEW_BREED);
    const trained = await learning.loop.retrain({ requestedBy: 'mod', reason: 'cli' });
    t.diagnostic(`v1 retrain: ${trained.status} ${(trained.reasons ?? []).join('; ')}`);
    assert.equal(trained.status, 'promoted', trained.reason);
    const v1Version = trained.version!;
    const unseenOfNewBreed = photos(NEW_BREED_SYNSET, NEW_BREED_PHOTOS, NEW_BREED_PHOTOS + 1)[0]!;
    assert.equal(await topBreed(unseenOfNewBreed), NEW_BREED, 'the v1 version knows the new breed');

    // The choices are the entries in models/; only moderators switch; an unknown entry changes nothing.
    const choices = await fake.autocomplete({
      name: 'model switch',
      userId: 'moderator',
      channelId,
      focusedOption: 'backbone',
      value: 'edge',
    });
    assert.deepEqual(
      choices.map((c) => c.value),
      ['ensemble_edgetpu_v2', 'ensemble_edgetpu_v2_v1', EDGETPU],
    );
    assert.match((await (await modelSwitch('alice', EDGETPU)).reply(30_000)).content, /moderator/i);
    const unknown = await (await modelSwitch('moderator', 'no_such_backbone')).reply(30_000);
    assert.match(
      unknown.content,
      /There is no backbone entry no_such_backbone\. Entries: .*mobilenet_edgetpu_224_1\.0/,
    );
    assert.equal(app.model.activeVersion(), v1Version);

    const images = await app.db.prisma.image.count();
    const progress: TrainingProgress[] = [];
    const watch = setInterval(() => {
      const p = learning.loop.current();
      if (p) progress.push(p);
    }, 10);
    const began = performance.now();
    const run = await modelSwitch('moderator', EDGETPU);
    const done = await run.waitForReply(
      (m) => /now serving|current one stays|failed/.test(m.content),
      300_000,
    );
    clearInterval(watch);
    t.diagnostic(
      `${images} stored photos; /model switch took ${((performance.now() - began) / 1000).toFixed(1)} s`,
    );
    t.diagnostic(done.content);
    const unescaped = (text: string) => text.replaceAll('\\', ''); // Discord markdown escapes the underscores
    assert.match(
      unescaped(done.content),
      /New model \*\*v\d{8}-\d{6}-[0-9a-f]+\*\* is now serving: holdout top-1 [\d.]+% → [\d.]+% on \d+ photos; new: Lionback Hound; backbone mobilenet_v1_0\.75_224 → mobilenet_edgetpu_224_1\.0/,
    );
    const edits = fake.requests.filter((r) => r.method === 'PATCH' && r.path.includes(run.interaction.token));
    assert.ok(
      edits.some((r) => /Switching to mobilenet_edgetpu_224_1\.0…/.test(unescaped(JSON.stringify(r.body)))),
    );
    // Progress: the stored photos counted while they are re-embedded, then training epochs; never backwards.
    assert.ok(progress.some((p) => p.stage === 'embedding' && p.total === images));
    assert.ok(progress.some((p) => p.stage === 'training' && p.epoch !== undefined));
    assert.ok(progress.every((p, i) => i === 0 || p.fraction >= progress[i - 1]!.fraction));
    assert.equal(await app.db.prisma.embedding.count({ where: { backboneId: EDGETPU } }), images);

    const version = /\*\*(v[^*]+)\*\*/.exec(done.content)![1]!;
    const record = await getModelVersion(app.db, version);
    assert.equal(record?.backboneId, EDGETPU);
    assert.equal(record?.status, 'active');
    assert.equal(record?.parentId, v1Version);
    assert.equal(app.model.activeVersion(), version);
    assert.equal(app.model.backboneId, EDGETPU);
    assert.ok(app.model.holder.model.head.breeds.includes(NEW_BREED), 'the user-created breed still exists');
    assert.equal(await topBreed(unseenOfNewBreed), NEW_BREED, 'and is predicted for an unseen photo of it');
    assert.equal(await topBreed(photos('n02086240', PER_BREED, PER_BREED + 1)[0]!), 'Shih-Tzu');

    // A second switch to the backbone already serving changes nothing.
    const again = await learning.loop.switchBackbone({ backboneId: EDGETPU, requestedBy: 'mod' });
    assert.equal(again.status, 'skipped');
    assert.match(again.reason ?? '', /already serves on backbone mobilenet_edgetpu_224_1\.0/);

    // A restart with BACKBONE still naming v1 serves the active version on its own backbone.
    await bot.stop();
    await learning.close();
    await app.close();
    app = await createBreedbot(config);
    learning = startLearning(app, config);
    bot = await startBot({
      app,
      token: fake.token,
      apiUrl: fake.apiUrl,
      autoClassify: false,
      commands: await deployCommandsTo(fake),
      training: learning.control,
    });
    assert.equal(config.BACKBONE, V1);
    assert.equal(app.model.activeVersion(), version);
    assert.equal(app.model.backboneId, EDGETPU);
    assert.equal(await topBreed(unseenOfNewBreed), NEW_BREED);

    // Rolling back to the version trained on v1 loads v1 again.
    const rollback = await fake.runCommand({
      name: 'model rollback',
      userId: 'moderator',
      channelId,
      options: { version: v1Version },
    });
    assert.match((await rollback.reply(60_000)).content, new RegExp(`Now serving \`${v1Version}\``));
    assert.equal(app.model.activeVersion(), v1Version);
    assert.equal(app.model.backboneId, V1);
    assert.equal((await getModelVersion(app.db, v1Version))?.status, 'active');
    assert.equal(await topBreed(unseenOfNewBreed), NEW_BREED);

    // The CLI refuses an unknown entry with the list of entries, and changes nothing.
    await bot.stop();
    await learning.close();
    await app.close();
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/model.ts', 'switch', 'no_such_backbone'],
      {
        cwd: projectRoot,
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          ...process.env,
          ...sharedModelEnv,
          DATABASE_URL: config.DATABASE_URL,
          DATA_DIR: config.dataDir,
          MODELS_DIR: config.modelsDir,
          EMBED_ENGINE: 'inprocess',
        },
      },
    );
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(
      cli.stderr,
      /error: There is no backbone entry no_such_backbone\. Entries: .*mobilenet_edgetpu/,
    );
    const db = await openDatabase(config.DATABASE_URL, { imagesDir: path.join(dir, 'data', 'images') });
    try {
      assert.equal((await activeModelVersion(db))?.id, v1Version);
    } finally {
      await db.close();
    }
  });
});

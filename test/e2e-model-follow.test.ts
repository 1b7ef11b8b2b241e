/**
 * Issue 14 §2: a running single-process bot (no Redis, SQLite, real discord.js against the fake Discord) follows
 * a version that `npm run model -- rollback` activates in the database, within MODEL_SYNC_INTERVAL_S, and its
 * /model info never contradicts itself while it catches up.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { modelInfoEmbed } from '../commands/model/info.ts';
import { createBreedbot, type BreedbotApp } from '../src/app/create.ts';
import type { ModelInfo } from '../src/features/model/types.ts';
import { projectRoot, type Config } from '../src/config.ts';
import { startBot, type RunningBot } from '../src/discord/bot.ts';
import { startFakeDiscord, type FakeDiscord, type FakeMessage } from '../src/sandbox/fake-discord/index.ts';
import { connectServing, type ServingScale } from '../src/scale/serving.ts';
import { imagewoofValDir, sharedModelEnv, skipWithoutPhotos } from './helpers/shared-data.ts';
import { deployCommandsTo, tempDirConfig } from './helpers/temp-app.ts';
import { saveRetiredVersion } from './helpers/learning-app.ts';

const SYNC_INTERVAL_S = 1;
const footer = (m: FakeMessage) => m.embeds[0]?.footer?.text ?? '';
const field = (m: FakeMessage, name: string) =>
  m.embeds[0]?.fields?.find((f) => f.name === name)?.value ?? '';

describe('a running bot follows the model version the CLI activates', { skip: skipWithoutPhotos }, () => {
  let dir: string;
  let config: Config;
  let fake: FakeDiscord;
  let app: BreedbotApp;
  let serving: ServingScale;
  let bot: RunningBot;
  let channelId: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-e2e-follow-'));
    config = tempDirConfig(dir, {
      MODEL_SYNC_INTERVAL_S: String(SYNC_INTERVAL_S),
      RATE_CLASSIFY_PER_USER: '1000',
    });
    fake = await startFakeDiscord();
    app = await createBreedbot(config, { trustedLoopbackOrigins: [fake.baseUrl] });
    serving = await connectServing(config, app); // the shape `npm start` runs without REDIS_URL
    const commands = await deployCommandsTo(fake);
    bot = await startBot({
      app,
      token: fake.token,
      apiUrl: fake.apiUrl,
      autoClassify: true,
      commands,
      training: serving.training,
    });
    channelId = fake.channel('dog-photos').id;
  });

  after(async () => {
    await bot?.stop();
    await serving?.close();
    await app?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const photo = path.join(imagewoofValDir, 'n02111889', 'n02111889_10130.jpg');
  const post = async () => {
    const posted = await fake.postMessage({
      channelId,
      userId: 'alice',
      files: [{ filename: 'dog.jpg', bytes: readFileSync(photo), contentType: 'image/jpeg' }],
    });
    return fake.waitForBotReply(posted.id, 0, 60_000);
  };
  const modelInfo = async () =>
    (await fake.runCommand({ name: 'model info', userId: 'alice', channelId })).reply(30_000);

  test('npm run model -- rollback <version> is served within the sync interval, and /model info agrees', async () => {
    assert.equal(serving.shape, 'single-process');
    const base = app.model.runtime.baseVersion;
    assert.match(footer(await post()), new RegExp(`model ${base}`));

    // A real version folder (the base head, copied) that served once, as a rollback target.
    const saved = await saveRetiredVersion(app, config);

    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/model.ts', 'rollback', saved.version],
      {
        cwd: projectRoot,
        encoding: 'utf8',
        env: {
          ...process.env,
          ...sharedModelEnv,
          DATABASE_URL: config.DATABASE_URL,
          DATA_DIR: config.dataDir,
          MODELS_DIR: config.modelsDir,
        },
      },
    );
    assert.equal(cli.status, 0, cli.stderr);
    const activatedAt = Date.now();

    // Whatever moment /model info is asked at, it names what serves and, if the database differs, where it goes.
    const during = await modelInfo();
    const activeField = field(during, 'Active version');
    if (activeField.startsWith(`\`${base}\``)) assert.match(activeField, /switching to `v/);
    else assert.ok(activeField.startsWith(`\`${saved.version}\``), activeField);

    while (app.model.activeVersion() !== saved.version) {
      assert.ok(
        Date.now() - activatedAt < SYNC_INTERVAL_S * 1000 + 5_000,
        'not followed within the interval',
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(footer(await post()), new RegExp(`model ${saved.version}`));
    const info = await modelInfo();
    assert.equal(field(info, 'Active version').split(' ')[0], `\`${saved.version}\``);
    assert.doesNotMatch(field(info, 'Active version'), /switching/);
    assert.match(field(info, 'History'), new RegExp(`\`${saved.version}\` active`));
  });
});

describe('/model info while the database has moved on', () => {
  const version = (v: string, status: string) => ({
    version: v,
    status,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    parent: null,
    metrics: null,
    reason: null,
  });
  const info = (activeVersion: string, history: ModelInfo['history']): ModelInfo => ({
    activeVersion,
    backend: 'cpu',
    detector: null,
    backboneId: 'b',
    breeds: 120,
    history,
  });
  const activeLine = (i: ModelInfo) => modelInfoEmbed(i).toJSON().fields?.[0]?.value ?? '';

  test('says "switching to" the database\'s version, and nothing when they agree', () => {
    const history = [version('v20260101-000002-bbbb', 'active'), version('v20260101-000001-aaaa', 'retired')];
    assert.match(
      activeLine(info('v20260101-000001-aaaa', history)),
      /^`v20260101-000001-aaaa` · switching to `v20260101-000002-bbbb`$/,
    );
    assert.equal(activeLine(info('v20260101-000002-bbbb', history)), '`v20260101-000002-bbbb`');
    // Rolled back to the base model in the database (no active row) while a trained version still serves.
    const toBase = [version('v20260101-000001-aaaa', 'retired')];
    assert.match(activeLine(info('v20260101-000001-aaaa', toBase)), /switching to the base model$/);
    assert.equal(activeLine(info('base-b', toBase)), '`base-b`');
  });
});

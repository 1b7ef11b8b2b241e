/**
 * End-to-end harness: the real bot (real discord.js, real model, real SQLite) against the local fake Discord.
 * One per test file: loading the model takes a few seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBreedbot, type BreedbotApp } from '../../src/app/create.ts';
import { type Config } from '../../src/config.ts';
import { startBot, type RunningBot } from '../../src/discord/bot.ts';
import {
  startFakeDiscord,
  type FakeDiscord,
  type FakeMessage,
} from '../../src/sandbox/fake-discord/index.ts';
import { deployCommandsTo, tempDirConfig } from './temp-app.ts';

export interface BotHarness {
  fake: FakeDiscord;
  app: BreedbotApp;
  bot: RunningBot;
  config: Config;
  dir: string;
  /** The main guild's #dog-photos channel id. */
  channelId: string;
  /** A new discord.js client (empty caches, new gateway session) over the same services and database. */
  restartBot(): Promise<void>;
  /** The bot's reply to a posted message, once it carries `reactions` reactions. */
  replyTo(messageId: string, reactions?: number): Promise<FakeMessage>;
  close(): Promise<void>;
}

export async function startBotHarness(env: Record<string, string> = {}): Promise<BotHarness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-e2e-'));
  const config = tempDirConfig(dir, env);
  const fake = await startFakeDiscord();
  // The fake's own file host (attachments and hosted files) is the only loopback origin the bot may fetch.
  const app = await createBreedbot(config, { trustedLoopbackOrigins: [fake.baseUrl] });
  const commands = await deployCommandsTo(fake);
  const start = () => startBot({ app, token: fake.token, apiUrl: fake.apiUrl, autoClassify: true, commands });
  let bot = await start();
  return {
    fake,
    app,
    get bot() {
      return bot;
    },
    async restartBot() {
      await bot.stop();
      bot = await start();
    },
    config,
    dir,
    channelId: fake.channel('dog-photos').id,
    replyTo: (messageId, reactions = 0) => fake.waitForBotReply(messageId, reactions, 60_000),
    async close() {
      await bot.stop();
      await app.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

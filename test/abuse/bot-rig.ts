/**
 * The real bot (real discord.js, real model, SQLite in a temporary folder) connected to a local fake Discord,
 * in this process: what the abuse suites drive.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBreedbot, type BreedbotApp } from '../../src/app/create.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { startBot, type RunningBot } from '../../src/discord/bot.ts';
import { loadCommands } from '../../src/discord/command-loader.ts';
import { deployCommands } from '../../src/discord/deploy.ts';
import {
  startFakeDiscord,
  type FakeDiscord,
  type FakeDiscordOptions,
  type FakeMessage,
} from '../../src/sandbox/fake-discord/index.ts';
import { sharedModelEnv } from '../helpers/shared-data.ts';

export interface BotRig {
  fake: FakeDiscord;
  app: BreedbotApp;
  bot: RunningBot;
  config: Config;
  dir: string;
  /** The SQLite file. */
  dbFile: string;
  /** The main guild's #dog-photos channel. */
  channelId: string;
  guildId: string;
  /** The bot's reply to a posted message, once it carries at least `reactions` reactions. */
  replyTo(messageId: string, reactions?: number, timeoutMs?: number): Promise<FakeMessage>;
  /** A message link as Discord's "Copy Message Link" gives it. */
  link(messageId: string): string;
  close(): Promise<void>;
}

/** Rate limits off: the concurrency suites measure storage, not the limiter. */
export const NO_RATE_LIMITS = {
  RATE_CLASSIFY_PER_USER: '0',
  RATE_CLASSIFY_PER_GUILD: '0',
  RATE_LABEL_PER_USER: '0',
  RATE_LABEL_PER_GUILD: '0',
} as const;

export async function startBotRig(
  env: Record<string, string> = {},
  fakeOptions: FakeDiscordOptions = {},
): Promise<BotRig> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-abuse-'));
  const dbFile = path.join(dir, 'breedbot.db');
  const config = loadConfig({
    ...process.env,
    ...sharedModelEnv,
    DATABASE_URL: `file:${dbFile}`,
    DATA_DIR: path.join(dir, 'data'),
    MODELS_DIR: path.join(dir, 'models'),
    ...env,
  });
  const fake = await startFakeDiscord(fakeOptions);
  const app = await createBreedbot(config, { trustedLoopbackOrigins: [fake.baseUrl] });
  const commands = await loadCommands();
  const guildId = fake.guild.guild.id;
  await deployCommands({ token: fake.token, apiUrl: fake.apiUrl, commands: commands.json, guildId });
  const bot = await startBot({ app, token: fake.token, apiUrl: fake.apiUrl, autoClassify: true, commands });
  const channelId = fake.channel('dog-photos').id;
  return {
    fake,
    app,
    bot,
    config,
    dir,
    dbFile,
    channelId,
    guildId,
    replyTo: (messageId, reactions = 0, timeoutMs = 60_000) =>
      fake.waitForBotReply(messageId, reactions, timeoutMs),
    link: (messageId) => `https://discord.com/channels/${guildId}/${channelId}/${messageId}`,
    async close() {
      await bot.stop();
      await app.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

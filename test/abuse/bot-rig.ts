/**
 * The real bot (real discord.js, real model, SQLite in a temporary folder) connected to a local fake Discord,
 * in this process: what the abuse suites drive.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BreedbotApp } from '../../src/app/create.ts';
import type { Config } from '../../src/config.ts';
import type { RunningBot } from '../../src/discord/bot.ts';
import {
  startFakeDiscord,
  type FakeDiscord,
  type FakeDiscordOptions,
  type FakeMessage,
} from '../../src/sandbox/fake-discord/index.ts';
import { buildBotOnFake } from '../helpers/bot-harness.ts';
import { tempDirConfig } from '../helpers/temp-app.ts';

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

/** Built by the same composition root as `npm start` (as test/helpers/bot-harness.ts is), without training. */
export async function startBotRig(
  env: Record<string, string> = {},
  fakeOptions: FakeDiscordOptions = {},
): Promise<BotRig> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-abuse-'));
  const config = tempDirConfig(dir, { AUTO_CLASSIFY: 'true', ...env });
  const fake = await startFakeDiscord(fakeOptions);
  const runtime = await buildBotOnFake(config, fake);
  const guildId = fake.guild.guild.id;
  const channelId = fake.channel('dog-photos').id;
  return {
    fake,
    app: runtime.app,
    get bot() {
      return runtime.bot;
    },
    config,
    dir,
    dbFile: path.join(dir, 'breedbot.db'),
    channelId,
    guildId,
    replyTo: (messageId, reactions = 0, timeoutMs = 60_000) =>
      fake.waitForBotReply(messageId, reactions, timeoutMs),
    link: (messageId) => `https://discord.com/channels/${guildId}/${channelId}/${messageId}`,
    async close() {
      await runtime.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

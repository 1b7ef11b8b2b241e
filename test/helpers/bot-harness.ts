/**
 * End-to-end harness: the real bot (real discord.js, real model, real SQLite) against the local fake Discord,
 * built by the same composition root as `npm start`. One per test file: loading the model takes a few seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BreedbotApp } from '../../src/app/create.ts';
import { type Config } from '../../src/config.ts';
import type { RunningBot } from '../../src/discord/bot.ts';
import { buildRuntime } from '../../src/runtime/build-runtime.ts';
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

/**
 * The bot role of `npm start` on `fake`, its commands deployed, without training or model following.
 * The fake's own file host (attachments and hosted files) is the only loopback origin the bot may fetch.
 */
export async function buildBotOnFake(config: Config, fake: FakeDiscord) {
  return buildRuntime(config, 'bot', {
    discord: {
      token: fake.token,
      apiUrl: fake.apiUrl,
      fileOrigin: fake.baseUrl,
      commands: await deployCommandsTo(fake),
    },
    withoutServing: true,
  });
}

export async function startBotHarness(env: Record<string, string> = {}): Promise<BotHarness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-e2e-'));
  const config = tempDirConfig(dir, { AUTO_CLASSIFY: 'true', ...env });
  const fake = await startFakeDiscord();
  const runtime = await buildBotOnFake(config, fake);
  return {
    fake,
    app: runtime.app,
    get bot() {
      return runtime.bot;
    },
    restartBot: () => runtime.restartBot(),
    config,
    dir,
    channelId: fake.channel('dog-photos').id,
    replyTo: (messageId, reactions = 0) => fake.waitForBotReply(messageId, reactions, 60_000),
    async close() {
      await runtime.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The real bot as its own process (src/main.ts, SQLite in a temporary folder) connected to a fake Discord that
 * runs in this process: the fake's work (gateway, REST, the 3 s interaction deadline) never waits on the bot's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadCommands } from '../../src/discord/command-loader.ts';
import { deployCommands } from '../../src/discord/deploy.ts';
import type { FakeDiscord, FakeMessage } from '../../src/sandbox/fake-discord/index.ts';
import { NO_RATE_LIMITS } from './bot-rig.ts';
import { spawnEntry, type WatchedChild } from './child-process.ts';
import { sharedModelEnv } from '../helpers/shared-data.ts';

export interface BotProcess {
  child: WatchedChild;
  dir: string;
  dbFile: string;
  /** The image id of each bot reply, from the Prediction table. */
  imageIdsOfReplies(): Map<string, string>;
  /** SIGTERM (requests in flight finish), SIGKILL after 20 s; removes the folder. */
  close(): Promise<void>;
}

/** The five breeds of a reply embed, markdown escapes removed. */
export const listedBreeds = (m: FakeMessage): string[] =>
  [...(m.embeds[0]?.description ?? '').matchAll(/\*\*(.+?)\*\*/g)]
    .map((x) => x[1]!.replace(/\\/g, ''))
    .filter((b) => !b.startsWith('Not sure'));

export async function startBotProcess(
  fake: FakeDiscord,
  env: Record<string, string> = {},
): Promise<BotProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-abuse-bot-'));
  const dbFile = path.join(dir, 'breedbot.db');
  const commands = await loadCommands();
  await deployCommands({
    token: fake.token,
    apiUrl: fake.apiUrl,
    commands: commands.json,
    guildId: fake.guild.guild.id,
  });
  const child = spawnEntry('src/main.ts', [], {
    ...sharedModelEnv,
    ...NO_RATE_LIMITS,
    DATABASE_URL: `file:${dbFile}`,
    DATA_DIR: path.join(dir, 'data'),
    MODELS_DIR: path.join(dir, 'models'),
    DISCORD_TOKEN: fake.token,
    DISCORD_API_URL: fake.apiUrl,
    FETCH_ALLOW_LOOPBACK: 'true', // the fake's CDN is on 127.0.0.1
    ...env,
  });
  try {
    await child.waitForLine((l) => l.includes('connected to Discord'), 120_000, 'the bot process');
  } catch (error) {
    await child.kill9();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    child,
    dir,
    dbFile,
    imageIdsOfReplies() {
      const db = new Database(dbFile, { readonly: true });
      try {
        const rows = db
          .prepare(
            'SELECT "replyMessageId" AS r, "imageId" AS i FROM "Prediction" WHERE "replyMessageId" IS NOT NULL',
          )
          .all() as { r: string; i: string }[];
        return new Map(rows.map((row) => [row.r, row.i]));
      } finally {
        db.close();
      }
    },
    async close() {
      child.process.kill('SIGTERM');
      const timer = setTimeout(() => void child.kill9(), 20_000);
      await child.exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

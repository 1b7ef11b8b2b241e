/**
 * Graceful shutdown (issue 6 §3): the bot runs as its own process (src/main.ts) against a fake Discord in this
 * one. SIGTERM while a photo is being classified: that reply still arrives, a photo posted after the signal is
 * not taken, the gateway is closed, the database is closed cleanly, and the process exits 0. SIGINT the same.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { NO_RATE_LIMITS } from './abuse/bot-rig.ts';
import { spawnEntry } from './abuse/child-process.ts';
import { checkSqliteStore } from './abuse/integrity.ts';
import { dogPhotos, missingSharedInputs, sharedModelEnv } from './helpers/shared-data.ts';
import { startFakeDiscord } from '../src/sandbox/fake-discord/index.ts';
import { deployCommandsTo } from './helpers/temp-app.ts';

const files = dogPhotos(4);
const photo = (i: number) => ({
  filename: `s${i}.jpg`,
  bytes: readFileSync(files[i]!),
  contentType: 'image/jpeg',
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(
    `${signal}: finishes the reply in flight, takes no new work, closes gateway and database, exits 0`,
    {
      skip: missingSharedInputs() ?? false,
    },
    async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-shutdown-'));
      const dbFile = path.join(dir, 'breedbot.db');
      const fake = await startFakeDiscord();
      const bot = spawnEntry('src/main.ts', [], {
        ...sharedModelEnv,
        ...NO_RATE_LIMITS,
        LOG_LEVEL: 'info',
        DATABASE_URL: `file:${dbFile}`,
        DATA_DIR: path.join(dir, 'data'),
        MODELS_DIR: path.join(dir, 'models'),
        DISCORD_TOKEN: fake.token,
        DISCORD_API_URL: fake.apiUrl,
        FETCH_ALLOW_LOOPBACK: 'true',
      });
      try {
        await deployCommandsTo(fake);
        await bot.waitForLine((l) => l.includes('connected to Discord'), 120_000, 'the bot');
        const channelId = fake.channel('dog-photos').id;
        const inFlight = await fake.postMessage({ channelId, userId: 'alice', files: [photo(0)] });
        // The bot shows "typing" once it has taken the photo: the signal lands while it works on it.
        await fake.waitForRequest((r) => r.route === '/channels/:channel/typing', 30_000);
        bot.process.kill(signal);
        const stopping = () => bot.stderr().includes('shutting down');
        for (let i = 0; i < 100 && !stopping(); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(stopping(), 'the bot did not log its shutdown');
        const late = await fake.postMessage({ channelId, userId: 'bob', files: [photo(1)] });

        assert.equal(await bot.exited, 0, bot.stderr().slice(-3000));
        const reply = fake
          .channelMessages(channelId)
          .find((m) => m.message_reference?.message_id === inFlight.id);
        assert.ok(reply && reply.embeds.length === 1, 'the reply in flight was not finished');
        assert.equal(reply.reactions.length, 6);
        assert.equal(
          fake.channelMessages(channelId).filter((m) => m.message_reference?.message_id === late.id).length,
          0,
        );
        assert.equal(fake.connectedSessions, 0);
        assert.equal(
          existsSync(`${dbFile}-wal`),
          false,
          'the database was not closed (write-ahead log left)',
        );
        const integrity = checkSqliteStore(dbFile, path.join(dir, 'data', 'images'));
        assert.ok(integrity.ok, JSON.stringify(integrity));
        assert.equal(integrity.counts.predictions, 1);
      } finally {
        await bot.kill9();
        await fake.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}

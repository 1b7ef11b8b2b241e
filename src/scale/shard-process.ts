/**
 * One shard of `npm run start:shards`, started by discord.js's ShardingManager (which sets SHARDS, SHARD_COUNT
 * and DISCORD_TOKEN). It builds its own app and classifier runtime over the shared PostgreSQL database, sends
 * /retrain to the trainer over Redis and follows model activations (src/scale/serving.ts).
 */
import { createBreedbot } from '../app/create.ts';
import { loadConfig } from '../config.ts';
import { startBot } from '../discord/bot.ts';
import { loadCommands } from '../discord/command-loader.ts';
import { log } from '../log.ts';
import { assertScaleOutConfig } from './requirements.ts';
import { connectServing } from './serving.ts';
import { onShutdownSignal } from './shutdown.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  assertScaleOutConfig(config, 'sharded bot');
  const token = config.DISCORD_TOKEN;
  if (!token) throw new Error('a shard needs DISCORD_TOKEN (the ShardingManager passes it)');
  const shard = process.env.SHARDS ?? '?';

  // Attachments come from the Discord the bot talks to; when that is a local fake, its loopback host is trusted.
  const trusted = config.DISCORD_API_URL ? [new URL(config.DISCORD_API_URL).origin] : [];
  const app = await createBreedbot(config, { trustedLoopbackOrigins: trusted });
  const serving = await connectServing(config, { db: app.db, model: app.model }).catch(
    async (err: unknown) => {
      await app.close();
      throw err;
    },
  );
  const bot = await startBot({
    app,
    token,
    autoClassify: config.AUTO_CLASSIFY,
    commands: await loadCommands(),
    training: serving.training,
    ...(config.DISCORD_API_URL ? { apiUrl: config.DISCORD_API_URL } : {}),
  });
  log.info({ shard, backend: app.backend, version: app.model.activeVersion() }, 'shard ready');

  onShutdownSignal(`shard ${shard}`, async () => {
    await bot.stop();
    await serving.close();
    await app.close();
  });
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'shard could not start');
  console.error(`breedbot shard could not start: ${(err as Error).message}`);
  process.exit(1);
});

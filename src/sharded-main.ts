/**
 * `npm run start:shards`: breedbot as discord.js shards (SHARD_COUNT, default 2) on PostgreSQL + Redis, with
 * `npm run trainer` running the trainings. With DISCORD_TOKEN: on Discord. Without: a local sandbox Discord
 * (its guilds spread over the shards) with its web page, like `npm start`. See docs/deployment.md.
 */
import { loadConfig } from './config.ts';
import { loadCommands } from './discord/command-loader.ts';
import { deployCommands } from './discord/deploy.ts';
import { redact } from './storage/database-url.ts';
import { applyMigrations } from './storage/migrate.ts';
import { startSandbox, type Sandbox } from './sandbox/index.ts';
import { probeRedis } from './scale/redis.ts';
import { assertScaleOutConfig } from './scale/requirements.ts';
import { startShards } from './discord/sharding.ts';
import { runProcess } from './runtime/run-process.ts';

runProcess('breedbot shards', async () => {
  const config = loadConfig();
  assertScaleOutConfig(config, 'sharded bot');
  const redisProblem = await probeRedis(config.REDIS_URL);
  if (redisProblem) throw new Error(redisProblem);
  // Once, here: shards starting together must not race to migrate the same schema.
  await applyMigrations(config.DATABASE_URL);

  let sandbox: Sandbox | null = null;
  let token = config.DISCORD_TOKEN;
  const env: Record<string, string> = {};
  if (!token) {
    sandbox = await startSandbox({
      host: config.SANDBOX_HOST,
      port: config.SANDBOX_PORT,
      shards: config.SHARD_COUNT === 'auto' ? 2 : config.SHARD_COUNT,
    });
    token = sandbox.token;
    env.DISCORD_API_URL = sandbox.apiUrl;
    const commands = await loadCommands();
    for (const guild of sandbox.fake.guilds) {
      await deployCommands({
        token,
        apiUrl: sandbox.apiUrl,
        commands: commands.json,
        guildId: guild.guild.id,
      });
    }
  }

  const shards = await startShards({
    token,
    totalShards: config.SHARD_COUNT,
    env,
    ...(sandbox ? { spawnDelayMs: 500 } : {}),
  });
  const where = sandbox ? `sandbox ${sandbox.pageUrl}` : 'Discord';
  console.log(
    `breedbot: ${shards.manager.shards.size} shards on ${where} · database ${redact(config.DATABASE_URL)} · ` +
      `trainings go to \`npm run trainer\` · Ctrl+C to stop`,
  );
  return {
    async close() {
      await shards.stop();
      await sandbox?.close();
    },
  };
});

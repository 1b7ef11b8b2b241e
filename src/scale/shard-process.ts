/**
 * One shard of `npm run start:shards`, started by discord.js's ShardingManager (which sets SHARDS, SHARD_COUNT
 * and DISCORD_TOKEN). It builds its own app and classifier runtime over the shared PostgreSQL database, sends
 * /retrain to the trainer over Redis and follows model activations (src/scale/serving.ts).
 */
import { loadConfig } from '../config.ts';
import { log } from '../log.ts';
import { buildRuntime } from '../runtime/build-runtime.ts';
import { runProcess } from '../runtime/run-process.ts';

runProcess('breedbot shard', async () => {
  const runtime = await buildRuntime(loadConfig(), 'shard');
  log.info(
    { shard: process.env.SHARDS ?? '?', backend: runtime.app.backend, version: runtime.app.model.activeVersion() },
    'shard ready',
  );
  return runtime;
});

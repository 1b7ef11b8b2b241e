/**
 * `npm run trainer`: the training worker of the scale-out shape. Takes /retrain jobs from the BullMQ queue on
 * REDIS_URL one at a time, runs the LearningLoop (dataset from the shared database, training in a worker
 * thread on the best tfjs engine here, GPU with tfjs-node-gpu, evaluation, version recorded), and when a
 * candidate is promoted broadcasts it so every shard swaps it in. Run it on the GPU host; see docs/deployment.md.
 * Ctrl+C lets the job in hand finish (a second one abandons it: BullMQ hands it to the next trainer).
 */
import { loadConfig } from './config.ts';
import { redact } from './storage/database-url.ts';
import { buildRuntime } from './runtime/build-runtime.ts';
import { runProcess } from './runtime/run-process.ts';

runProcess('breedbot trainer', async () => {
  const runtime = await buildRuntime(loadConfig(), 'trainer');
  const { config, model } = runtime;
  console.log(
    `breedbot trainer: waiting for /retrain jobs on ${redact(config.REDIS_URL ?? '')} (prefix ${config.REDIS_PREFIX}) · ` +
      `model backend ${model.backend} · database ${redact(config.DATABASE_URL)} · Ctrl+C to stop`,
  );
  return runtime;
});

/**
 * The process the kill tests SIGKILL while it trains: the real composition root and the real learning loop on
 * the SQLite file and models folder named by the environment. It reports each step as one JSON line on stdout
 * ({"event": ...}) so the parent knows when to strike. Usage: kill-child.ts retrain [maxEpochs]
 */
import { loadConfig } from '../../src/config.ts';
import { buildRuntime } from '../../src/runtime/build-runtime.ts';

const say = (event: string, data: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);

async function main(): Promise<void> {
  const [mode, epochs] = process.argv.slice(2);
  if (mode !== 'retrain') throw new Error(`unknown mode ${mode}`);
  const maxEpochs = Number(epochs ?? 0);
  const { app, learning, close } = await buildRuntime(loadConfig(), 'learning', {
    learning: maxEpochs > 0 ? { training: { train: { maxEpochs, patience: maxEpochs } } } : {},
  });
  say('ready', { version: app.model.activeVersion() });
  const result = await learning.loop.retrain({
    requestedBy: 'abuse-kill-test',
    reason: 'cli',
    onProgress: (p) => say('progress', { ...p }),
  });
  say('done', { status: result.status, version: result.version ?? null, reason: result.reason ?? null });
  await close();
}

main().catch((err: unknown) => {
  process.stderr.write(`kill-child failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

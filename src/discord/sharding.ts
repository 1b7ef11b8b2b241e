/**
 * Runs the bot as discord.js shards: one process per shard (src/scale/shard-process.ts), each with its own
 * gateway connection, app and classifier runtime, all on the same PostgreSQL database and Redis. The manager
 * respawns a shard that dies.
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ShardingManager, type Shard } from 'discord.js';
import { log } from '../log.ts';

export const SHARD_SCRIPT = fileURLToPath(new URL('../scale/shard-process.ts', import.meta.url));

export interface StartShardsOptions {
  token: string;
  totalShards: number | 'auto';
  /** Extra environment for the shard processes (on top of this process's). */
  env?: Record<string, string>;
  /** Per shard: loading the model and logging in must fit in it. */
  spawnTimeoutMs?: number;
  /** Between two shards' starts (Discord allows one IDENTIFY per 5 s per bucket). */
  spawnDelayMs?: number;
}

export interface RunningShards {
  manager: ShardingManager;
  /** SIGTERM to every shard (each finishes its requests, closes its gateway and database), then waits for them. */
  stop(timeoutMs?: number): Promise<void>;
}

export async function startShards(options: StartShardsOptions): Promise<RunningShards> {
  const manager = new ShardingManager(SHARD_SCRIPT, {
    token: options.token,
    totalShards: options.totalShards,
    mode: 'process',
    respawn: true,
    // Shards are TypeScript run by tsx, like every entry point of breedbot.
    execArgv: ['--import', import.meta.resolve('tsx')],
  });
  let stopping = false;
  manager.on('shardCreate', (shard: Shard) => {
    Object.assign(shard.env as Record<string, string>, options.env ?? {});
    shard.on('death', () => {
      if (!stopping) log.warn({ shard: shard.id }, 'shard process died; the manager respawns it');
    });
    log.info({ shard: shard.id }, 'starting shard');
  });
  await manager.spawn({
    delay: options.spawnDelayMs ?? 5500,
    timeout: options.spawnTimeoutMs ?? 180_000,
  });
  return {
    manager,
    async stop(timeoutMs = 30_000) {
      stopping = true;
      await Promise.all(
        [...manager.shards.values()].map(async (shard) => {
          const child = shard.process;
          if (!child || child.exitCode !== null) return;
          const exited = once(child, 'exit');
          shard.kill(); // removes the respawn listener first, then SIGTERM
          const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}

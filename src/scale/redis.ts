/**
 * Redis connections for the scale-out shape. Every key and channel breedbot uses starts with REDIS_PREFIX, so
 * several deployments (or parallel test runs) can share one Redis.
 */
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { redact } from '../storage/database-url.ts';

/**
 * A connection as BullMQ wants it: `maxRetriesPerRequest: null` so blocking commands (workers, event readers)
 * wait through a reconnect instead of failing. `failFast` is for commands someone waits on (adding a job,
 * publishing a model): while Redis is away they fail at once instead of hanging until it is back.
 * (Passing instances, not options, is what BullMQ asks for under native ESM.)
 */
export function connectRedis(url: string, name: string, options: { failFast?: boolean } = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    connectionName: name,
    ...(options.failFast ? { enableOfflineQueue: false } : {}),
  });
}

/** false when Redis answers PING within `timeoutMs`, else why not (for test skips and startup errors). */
export async function probeRedis(url: string, timeoutMs = 2000): Promise<string | false> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return false;
  } catch (error) {
    return `Redis at ${redact(url)} unreachable (${(error as Error).message})`;
  } finally {
    client.disconnect();
  }
}

/** Resolves when the connection is ready; rejects after `timeoutMs` (Redis away) instead of waiting for ever. */
export async function whenReady(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  const signal = AbortSignal.timeout(timeoutMs);
  await once(redis, 'ready', { signal }).catch(() => {
    throw new Error(`Redis not reachable within ${timeoutMs} ms (${redis.status})`);
  });
}

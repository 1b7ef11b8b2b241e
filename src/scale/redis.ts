/**
 * Redis connections for the scale-out shape. Every key and channel breedbot uses starts with REDIS_PREFIX, so
 * several deployments (or parallel test runs) can share one Redis.
 */
import { Redis } from 'ioredis';
import { redact } from '../labels/database-url.ts';

/**
 * A connection as BullMQ wants it: `maxRetriesPerRequest: null` so blocking commands wait through a reconnect
 * instead of failing. (Passing instances, not options, is what BullMQ asks for under native ESM.)
 */
export function connectRedis(url: string, name: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: name });
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

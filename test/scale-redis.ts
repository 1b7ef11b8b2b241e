/**
 * Redis for the scale-out tests: TEST_REDIS_URL (default redis://127.0.0.1:6379), a fresh key prefix per test
 * run so parallel files and reruns never collide, and removal of every key under it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { probeRedis } from '../src/scale/redis.ts';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const problem = await probeRedis(TEST_REDIS_URL);
export const redisSkipReason: string | false = problem
  ? `${problem}; set TEST_REDIS_URL to run these`
  : false;
if (redisSkipReason) console.log(`# skipping Redis tests: ${redisSkipReason}`);

export const freshPrefix = (name: string) =>
  `bbtest-${name}-${process.pid}-${randomBytes(3).toString('hex')}`;

/** Deletes every key that starts with `prefix` (BullMQ's queue keys, nothing else). */
export async function dropPrefix(prefix: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL);
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) removed += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

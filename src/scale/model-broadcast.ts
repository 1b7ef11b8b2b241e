/**
 * "A model version became active": told to every process that serves the model, so each hot-swaps it in.
 * The database stays the source of truth (a follower re-reads the active version on every message and on a
 * timer), so a lost message only delays a swap; it never makes a shard serve the wrong model for good.
 */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { log } from '../log.ts';
import { connectRedis, whenReady } from './redis.ts';

export interface ModelActivated {
  version: string;
  cause: 'promoted' | 'rollback';
  /** ISO time of the activation. */
  at: string;
}

export type ModelActivatedListener = (event: ModelActivated) => void;

export interface ModelBroadcast {
  readonly kind: 'in-process' | 'redis';
  publish(event: ModelActivated): Promise<void>;
  /** Resolves once the subscription is live (later publications reach the listener); returns the unsubscribe. */
  subscribe(listener: ModelActivatedListener): Promise<() => void>;
  close(): Promise<void>;
}

const EVENT = 'model-activated';

const modelActivatedSchema = z.object({
  version: z.string().min(1).max(200),
  cause: z.enum(['promoted', 'rollback']),
  at: z.string(),
});

/** One process: the learning loop and the bot share memory, so an EventEmitter is the whole broadcast. */
export class InProcessModelBroadcast implements ModelBroadcast {
  readonly kind = 'in-process';
  readonly #emitter = new EventEmitter();

  async publish(event: ModelActivated): Promise<void> {
    this.#emitter.emit(EVENT, event);
  }

  async subscribe(listener: ModelActivatedListener): Promise<() => void> {
    this.#emitter.on(EVENT, listener);
    return () => this.#emitter.off(EVENT, listener);
  }

  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
}

export const modelChannel = (prefix: string) => `${prefix}:model-activated`;

/**
 * Redis pub/sub on `<prefix>:model-activated`. Pub/sub is fire-and-forget (a shard that is down or
 * reconnecting misses the message), which is why followers also poll the database.
 */
export class RedisModelBroadcast implements ModelBroadcast {
  readonly kind = 'redis';
  readonly channel: string;
  readonly #url: string;
  readonly #listeners = new Set<ModelActivatedListener>();
  #publisher: Redis | null = null;
  #subscriber: Promise<Redis> | null = null;

  constructor(redisUrl: string, prefix: string) {
    this.#url = redisUrl;
    this.channel = modelChannel(prefix);
  }

  async publish(event: ModelActivated): Promise<void> {
    if (!this.#publisher) {
      this.#publisher = connectRedis(this.#url, 'breedbot-broadcast-pub', { failFast: true });
      this.#publisher.on('error', (err: Error) =>
        log.warn({ err: err.message }, 'model broadcast connection trouble'),
      );
    }
    await whenReady(this.#publisher);
    const receivers = await this.#publisher.publish(this.channel, JSON.stringify(event));
    log.info({ ...event, receivers }, 'model activation broadcast');
  }

  async subscribe(listener: ModelActivatedListener): Promise<() => void> {
    this.#listeners.add(listener);
    await (this.#subscriber ??= this.#connectSubscriber());
    return () => this.#listeners.delete(listener);
  }

  async #connectSubscriber(): Promise<Redis> {
    // A connection in subscriber mode can do nothing else, hence a second one.
    const sub = connectRedis(this.#url, 'breedbot-broadcast-sub');
    sub.on('error', (err: Error) => log.warn({ err: err.message }, 'model broadcast connection trouble'));
    sub.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      const event = parseEvent(text);
      if (!event) return;
      for (const listener of this.#listeners) listener(event);
    });
    // ioredis re-subscribes by itself after a reconnect.
    await sub.subscribe(this.channel);
    return sub;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    const sub = await this.#subscriber?.catch(() => null);
    await Promise.allSettled([sub?.quit(), this.#publisher?.quit()]);
  }
}

function parseEvent(text: string): ModelActivated | null {
  try {
    const parsed = modelActivatedSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
    log.warn({ issues: parsed.error.issues.length }, 'ignoring a malformed model broadcast');
  } catch {
    log.warn('ignoring a model broadcast that is not JSON');
  }
  return null;
}

import { LRUCache } from 'lru-cache';

/**
 * Remembers recently handled gateway events so that a replay (reconnect, resume, a duplicated dispatch) is
 * handled once. Only for events with their own id (messages, interactions); reactions are made idempotent by
 * the label semantics instead, because adding, removing and re-adding the same reaction is legitimate.
 * The database's idempotency (one prediction per source, one label per person and image) covers restarts.
 */
export class EventDeduper {
  private readonly seen: LRUCache<string, true>;

  constructor(max = 10_000, ttlMs = 15 * 60_000) {
    this.seen = new LRUCache({ max, ttl: ttlMs });
  }

  /** True the first time `key` is seen; false for a repeat. */
  firstTime(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.set(key, true);
    return true;
  }
}

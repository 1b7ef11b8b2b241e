/**
 * Keeps one serving process on the database's active model version. Another process (the trainer, or the shard
 * that ran a rollback) activates a version in the database and broadcasts it; every follower then re-reads the
 * active version and hot-swaps to it (the LearningLoop's `syncWithDatabase`: requests in flight finish on the
 * old model). The database decides and the message only says "look now", so messages that arrive late, twice
 * or out of order do no harm, and the timer heals a message that never arrived.
 *
 * The version's files must be readable here: MODELS_DIR/versions/<version> is shared with the trainer
 * (docs/deployment.md). A version that cannot be loaded is logged and the current model keeps serving.
 */
import { log } from '../log.ts';
import type { ModelActivated, ModelBroadcast } from './model-broadcast.ts';

export interface ModelFollowerOptions {
  /** Swaps to the database's active version if it is not serving yet; returns the version serving afterwards. */
  syncWithDatabase: () => Promise<string>;
  broadcast: ModelBroadcast;
  /** Re-read the database this often even without a message; 0 = only on messages. */
  pollIntervalMs: number;
}

export class ModelFollower {
  readonly #options: ModelFollowerOptions;
  #queue: Promise<unknown> = Promise.resolve();
  #unsubscribe: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #version: string | null = null;
  readonly #versionListeners = new Set<(version: string) => void>();

  constructor(options: ModelFollowerOptions) {
    this.#options = options;
  }

  /** Subscribes, catches up with the database once, and starts the timer. Returns the version serving. */
  async start(): Promise<string> {
    this.#unsubscribe = await this.#options.broadcast.subscribe((event) => this.#onBroadcast(event));
    const version = await this.sync();
    if (this.#options.pollIntervalMs > 0) {
      this.#timer = setInterval(() => {
        this.sync().catch((err: unknown) => log.warn({ err }, 'model sync by timer failed'));
      }, this.#options.pollIntervalMs);
      this.#timer.unref();
    }
    return version;
  }

  /** Calls `listener` with the version serving after each sync that changed it. */
  onVersion(listener: (version: string) => void): () => void {
    this.#versionListeners.add(listener);
    return () => this.#versionListeners.delete(listener);
  }

  /** Brings this process to the database's active version. Calls run one after another, never interleaved. */
  sync(): Promise<string> {
    const run = this.#queue.then(async () => {
      const version = await this.#options.syncWithDatabase();
      if (version !== this.#version) {
        const first = this.#version === null;
        this.#version = version;
        if (!first) for (const listener of this.#versionListeners) listener(version);
      }
      return version;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #onBroadcast(event: ModelActivated): void {
    if (this.#closed) return;
    this.sync().catch((err: unknown) =>
      log.error(
        { err, announced: event.version },
        'could not load the announced model version; the current model keeps serving',
      ),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe?.();
    if (this.#timer) clearInterval(this.#timer);
    await this.#queue;
  }
}

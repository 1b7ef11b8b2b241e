/**
 * Discord times one thing: an interaction must be acknowledged (replied to or deferred) within 3 s. Work nobody
 * times (reaction votes, classifying posted photos) waits while interactions are still unacknowledged, so a
 * burst of both cannot push acknowledgements past the deadline. A cap on the wait keeps that work from
 * starving under a steady stream of interactions.
 */
import type { Interaction } from 'discord.js';

/** The interaction methods whose first call is the acknowledgement Discord waits for. */
const ACKNOWLEDGING_METHODS = [
  'reply',
  'deferReply',
  'deferUpdate',
  'update',
  'showModal',
  'respond',
] as const;

export const DEFAULT_MAX_YIELD_MS = 2_000;

export class AckFirst {
  private unacknowledged = 0;
  private waiting: (() => void)[] = [];

  constructor(private readonly maxYieldMs = DEFAULT_MAX_YIELD_MS) {}

  /** Interactions received and not yet acknowledged. */
  get pending(): number {
    return this.unacknowledged;
  }

  /**
   * Counts `interaction` as pending until its first acknowledging call settles. Call the returned function
   * when its handler is done (for one that never acknowledges); calling it again does nothing.
   */
  track(interaction: Interaction): () => void {
    let done = false;
    const settle = () => {
      if (done) return;
      done = true;
      this.unacknowledged--;
      if (this.unacknowledged === 0) this.releaseAll();
    };
    this.unacknowledged++;
    const methods = interaction as unknown as Record<string, unknown>;
    for (const name of ACKNOWLEDGING_METHODS) {
      const original = methods[name];
      if (typeof original !== 'function') continue;
      methods[name] = async (...args: unknown[]) => {
        try {
          return (await (original as (...a: unknown[]) => Promise<unknown>).apply(
            interaction,
            args,
          )) as unknown;
        } finally {
          settle();
        }
      };
    }
    return settle;
  }

  /** Resolves once no interaction waits for its acknowledgement, or after the cap. */
  yieldToAcknowledgements(): Promise<void> {
    if (this.unacknowledged === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(release, this.maxYieldMs);
      function release() {
        clearTimeout(timer);
        resolve();
      }
      this.waiting.push(release);
    });
  }

  private releaseAll(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const release of waiting) release();
  }
}

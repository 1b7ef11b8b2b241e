/**
 * Runs a task for a key one at a time. Requests that arrive while it runs collapse into one more run after it,
 * so the last run always starts after the last request and sees the latest state. Used for re-rendering a reply
 * when many people vote at once: concurrent edits could otherwise land out of order and show an older count.
 */
export class KeyedCoalescer {
  private readonly running = new Map<string, { rerun: boolean; done: Promise<void> }>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const current = this.running.get(key);
    if (current) {
      current.rerun = true;
      return current.done;
    }
    const entry = { rerun: false, done: Promise.resolve() };
    entry.done = (async () => {
      let lastError: unknown = null;
      try {
        do {
          entry.rerun = false;
          try {
            await task();
            lastError = null;
          } catch (error) {
            lastError = error;
          }
        } while (entry.rerun);
      } finally {
        this.running.delete(key);
      }
      if (lastError) throw lastError;
    })();
    this.running.set(key, entry);
    return entry.done;
  }
}

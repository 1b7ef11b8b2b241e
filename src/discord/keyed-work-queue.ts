/**
 * Runs jobs at most `limit` at a time, and jobs that share a key one after another in arrival order.
 * A burst of hundreds of reaction votes goes through one, so it cannot crowd out the work Discord times:
 * acknowledging interactions within 3 s and answering gateway heartbeats.
 */
export class KeyedWorkQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`KeyedWorkQueue needs a limit of at least 1, got ${limit}`);
  }

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(() => this.inSlot(job));
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  private async inSlot<T>(job: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    // A finishing job hands its slot straight to the next waiter, so `running` never passes `limit`.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

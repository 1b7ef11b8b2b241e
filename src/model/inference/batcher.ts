/**
 * Micro-batching: single requests that arrive close together are run as one batch. A batch leaves when it is
 * full (`maxBatch`) or when its oldest item has waited `maxWaitMs`; at most `concurrency` batches run at once
 * and items that arrive meanwhile gather into the next batch. Each caller gets its own item's result, in order.
 */

/** The queue is full: the caller should retry later (or tell its user the bot is busy). */
export class BusyError extends Error {
  readonly code = 'busy';
  constructor(readonly queued: number) {
    super(`the classifier is busy (${queued} images waiting); try again in a moment`);
    this.name = 'BusyError';
  }
}

/** The batcher was closed; nothing more is accepted. */
export class BatcherClosedError extends Error {
  readonly code = 'closed';
  constructor() {
    super('the classifier is shutting down');
    this.name = 'BatcherClosedError';
  }
}

export interface MicroBatcherOptions<In, Out> {
  /** Runs one batch; must resolve to exactly one output per input, in input order. */
  run: (items: In[]) => Promise<Out[]>;
  maxBatch: number;
  maxWaitMs: number;
  /** Items allowed to wait for a batch; one more is refused with BusyError. */
  maxQueue: number;
  /** Batches allowed to run at once (e.g. the number of inference workers). */
  concurrency?: number;
  /**
   * When a batch of several fails, its halves are retried on their own so that one bad item fails alone.
   * Return false for errors that would fail any batch (e.g. a closed engine) to skip the retries.
   */
  splitOnError?: (error: unknown) => boolean;
}

interface Pending<In, Out> {
  item: In;
  resolve(out: Out): void;
  reject(err: unknown): void;
}

export interface BatcherStats {
  queued: number;
  running: number;
  batches: number;
  items: number;
  /** Largest batch run so far. */
  largestBatch: number;
}

export class MicroBatcher<In, Out> {
  readonly #run: (items: In[]) => Promise<Out[]>;
  readonly #maxBatch: number;
  readonly #maxWaitMs: number;
  readonly #maxQueue: number;
  readonly #concurrency: number;
  readonly #splitOnError: (error: unknown) => boolean;
  #queue: Pending<In, Out>[] = [];
  #running = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  #batches = 0;
  #items = 0;
  #largestBatch = 0;

  constructor(options: MicroBatcherOptions<In, Out>) {
    const positiveInt = (name: string, v: number) => {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
    };
    positiveInt('maxBatch', options.maxBatch);
    positiveInt('maxQueue', options.maxQueue);
    positiveInt('concurrency', options.concurrency ?? 1);
    if (!(options.maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be >= 0, got ${options.maxWaitMs}`);
    this.#run = options.run;
    this.#maxBatch = options.maxBatch;
    this.#maxWaitMs = options.maxWaitMs;
    this.#maxQueue = options.maxQueue;
    this.#concurrency = options.concurrency ?? 1;
    this.#splitOnError = options.splitOnError ?? (() => true);
  }

  get stats(): BatcherStats {
    return {
      queued: this.#queue.length,
      running: this.#running,
      batches: this.#batches,
      items: this.#items,
      largestBatch: this.#largestBatch,
    };
  }

  /** Queues one item; rejects at once with BusyError when the queue is full. */
  submit(item: In): Promise<Out> {
    if (this.#closed) return Promise.reject(new BatcherClosedError());
    if (this.#queue.length >= this.#maxQueue) return Promise.reject(new BusyError(this.#queue.length));
    return new Promise<Out>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  /** Queues several items as a unit: all are accepted, or none (BusyError). */
  submitAll(items: readonly In[]): Promise<Out[]> {
    if (this.#closed) return Promise.reject(new BatcherClosedError());
    if (this.#queue.length + items.length > this.#maxQueue) {
      return Promise.reject(new BusyError(this.#queue.length));
    }
    return Promise.all(items.map((item) => this.submit(item)));
  }

  /** Refuses new items; resolves once everything already accepted has finished. */
  close(): Promise<void> {
    this.#closed = true;
    // Queued items still run: flush without waiting for the timer.
    this.#dispatch();
    return this.#whenIdle();
  }

  #whenIdle(): Promise<void> {
    if (this.#queue.length === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(): void {
    if (this.#queue.length >= this.#maxBatch || this.#closed) {
      this.#dispatch();
    } else if (!this.#timer && this.#running < this.#concurrency) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#dispatch();
      }, this.#maxWaitMs);
    }
  }

  #dispatch(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#running++;
      this.#batches++;
      this.#items += batch.length;
      this.#largestBatch = Math.max(this.#largestBatch, batch.length);
      void this.#runIsolated(batch).finally(() => {
        this.#running--;
        // Whatever gathered while all slots were busy has waited long enough: send it now.
        if (this.#queue.length > 0) this.#dispatch();
        else if (this.#running === 0) this.#idleWaiters.splice(0).forEach((resolve) => resolve());
      });
    }
  }

  /** Runs a batch; on failure retries its halves so the error reaches only the items that cause it. */
  async #runIsolated(batch: Pending<In, Out>[]): Promise<void> {
    let outputs: Out[];
    try {
      outputs = await this.#run(batch.map((p) => p.item));
      if (outputs.length !== batch.length) {
        throw new Error(`batch of ${batch.length} produced ${outputs.length} results`);
      }
    } catch (err) {
      if (batch.length > 1 && this.#splitOnError(err)) {
        const half = Math.ceil(batch.length / 2);
        await this.#runIsolated(batch.slice(0, half));
        await this.#runIsolated(batch.slice(half));
      } else {
        for (const p of batch) p.reject(err);
      }
      return;
    }
    batch.forEach((p, i) => p.resolve(outputs[i]!));
  }
}

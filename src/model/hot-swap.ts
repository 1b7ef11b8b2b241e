/**
 * Serves the active model to requests and swaps it atomically.
 *
 * A request takes a lease (`acquire()` or `use(fn)`); `swap()` flips which model new leases get, without waiting
 * for anyone, while leases already taken keep the model they started with. A retired model is disposed once its
 * last lease is released, so in-flight requests never see freed tensors and nothing leaks. Acquiring never
 * blocks: during a swap no request waits for anything but its own classification.
 */
import { log } from '../log.ts';

export interface Lease<M> {
  readonly model: M;
  readonly version: string;
  /** Idempotent. */
  release(): void;
}

interface Entry<M> {
  model: M;
  version: string;
  leases: number;
  retired: boolean;
  disposed: boolean;
  onDisposed: (() => void)[];
}

export interface ModelHolderOptions<M> {
  /** Frees a retired model's resources (e.g. tfjs tensors); called once, after its last lease is released. */
  dispose?: (model: M, version: string) => void | Promise<void>;
}

export class ModelHolder<M> {
  #current: Entry<M>;
  #closed = false;
  readonly #dispose: ModelHolderOptions<M>['dispose'];

  constructor(initial: M, version: string, options: ModelHolderOptions<M> = {}) {
    this.#current = ModelHolder.#entry(initial, version);
    this.#dispose = options.dispose;
  }

  static #entry<M>(model: M, version: string): Entry<M> {
    return { model, version, leases: 0, retired: false, disposed: false, onDisposed: [] };
  }

  get version(): string {
    return this.#current.version;
  }

  /** The active model, for reads that need no lease (nothing async happens with it). */
  get model(): M {
    return this.#current.model;
  }

  acquire(): Lease<M> {
    if (this.#closed) throw new Error('the model holder is closed');
    const entry = this.#current;
    entry.leases++;
    let released = false;
    return {
      model: entry.model,
      version: entry.version,
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
        this.#maybeDispose(entry);
      },
    };
  }

  async use<R>(fn: (model: M, version: string) => R | Promise<R>): Promise<R> {
    const lease = this.acquire();
    try {
      return await fn(lease.model, lease.version);
    } finally {
      lease.release();
    }
  }

  /**
   * Makes `model` the active one at once. The returned promise settles when the previous model has been
   * disposed, i.e. after the requests that were using it have finished.
   */
  swap(model: M, version: string): Promise<void> {
    if (this.#closed) throw new Error('the model holder is closed');
    const old = this.#current;
    if (old.model === model) {
      old.version = version;
      return Promise.resolve();
    }
    this.#current = ModelHolder.#entry(model, version);
    log.info({ from: old.version, to: version, inFlight: old.leases }, 'model swapped');
    return this.#retire(old);
  }

  /** Retires the active model (disposed after its last lease); no further leases are given out. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#retire(this.#current);
  }

  #retire(entry: Entry<M>): Promise<void> {
    const done = new Promise<void>((resolve) => entry.onDisposed.push(resolve));
    entry.retired = true;
    this.#maybeDispose(entry);
    return done;
  }

  #maybeDispose(entry: Entry<M>): void {
    if (!entry.retired || entry.leases > 0 || entry.disposed) return;
    entry.disposed = true;
    const finish = () => entry.onDisposed.splice(0).forEach((resolve) => resolve());
    try {
      const pending = this.#dispose?.(entry.model, entry.version);
      if (pending) {
        pending.then(finish, (err: unknown) => {
          log.error({ err, version: entry.version }, 'disposing a retired model failed');
          finish();
        });
        return;
      }
    } catch (err) {
      log.error({ err, version: entry.version }, 'disposing a retired model failed');
    }
    finish();
  }
}

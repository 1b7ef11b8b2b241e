/**
 * @prisma/adapter-better-sqlite3 runs everything on ONE connection. A query sent outside a transaction while
 * another request's interactive transaction is open therefore runs inside that transaction, and vanishes
 * if it rolls back, after its caller was told it succeeded (checked in test/storage-concurrency.test.ts).
 * This wrapper makes such queries wait until the open transaction has finished. (Sending a query through the
 * outer client from inside a transaction callback would now wait for itself: use the `tx` client there, as
 * Prisma intends anyway; the transaction timeout ends such a mistake.)
 */
import type {
  IsolationLevel,
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQuery,
  Transaction,
} from '@prisma/driver-adapter-utils';

/** A first-come, first-served lock. */
class Queue {
  #tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => held);
    return ready;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
}

function serialized(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const queue = new Queue();
  const wrapper: SqlDriverAdapter = {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (query: SqlQuery) => queue.run(() => adapter.queryRaw(query)),
    executeRaw: (query: SqlQuery) => queue.run(() => adapter.executeRaw(query)),
    executeScript: (script: string) => queue.run(() => adapter.executeScript(script)),
    startTransaction: async (isolationLevel?: IsolationLevel): Promise<Transaction> => {
      const release = await queue.acquire();
      let tx: Transaction;
      try {
        tx = await adapter.startTransaction(isolationLevel);
      } catch (error) {
        release();
        throw error;
      }
      const finish = (end: () => Promise<void>) => async () => {
        try {
          await end();
        } finally {
          release();
        }
      };
      const wrapped: Transaction = {
        provider: tx.provider,
        adapterName: tx.adapterName,
        options: tx.options,
        queryRaw: (query) => tx.queryRaw(query),
        executeRaw: (query) => tx.executeRaw(query),
        commit: finish(() => tx.commit()),
        rollback: finish(() => tx.rollback()),
      };
      if (tx.createSavepoint) wrapped.createSavepoint = (name) => tx.createSavepoint!(name);
      if (tx.rollbackToSavepoint) wrapped.rollbackToSavepoint = (name) => tx.rollbackToSavepoint!(name);
      if (tx.releaseSavepoint) wrapped.releaseSavepoint = (name) => tx.releaseSavepoint!(name);
      return wrapped;
    },
    dispose: () => adapter.dispose(),
  };
  if (adapter.getConnectionInfo) wrapper.getConnectionInfo = () => adapter.getConnectionInfo!();
  return wrapper;
}

export function serializedSqliteFactory(
  inner: SqlMigrationAwareDriverAdapterFactory,
): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => serialized(await inner.connect()),
    connectToShadowDb: () => inner.connectToShadowDb(),
  };
}

/**
 * Prisma's own schema engine (the one behind `prisma migrate`), as WebAssembly, so migrations run offline: the
 * CLI's native engine must be downloaded from Prisma's binary host, this one ships in an npm package.
 * Node 20 cannot `import` a .wasm file, so the module is instantiated by hand against its JS glue.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import { log } from '../log.ts';

type EngineModule = typeof import('@prisma/schema-engine-wasm');

let enginePromise: Promise<EngineModule> | null = null;

/**
 * The engine races some operations against setTimeout (10 s) and never clears those timers, which would keep
 * a finished CLI or test process alive for 10 s. Its timers are collected here and cleared once no engine
 * work is running.
 */
const engineTimers = new Set<ReturnType<typeof setTimeout>>();
let runningEngines = 0;

function withTrackedTimers(glue: Record<string, unknown>): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...glue };
  for (const [name, fn] of Object.entries(glue)) {
    if (!name.startsWith('__wbg_setTimeout_') || typeof fn !== 'function') continue;
    imports[name] = (...args: unknown[]) => {
      const timer = (fn as (...a: unknown[]) => ReturnType<typeof setTimeout>)(...args);
      engineTimers.add(timer);
      return timer;
    };
  }
  return imports;
}

function loadEngineModule(): Promise<EngineModule> {
  enginePromise ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as EngineModule & {
      __wbg_set_wasm(exports: WebAssembly.Exports): void;
    };
    const bytes = await readFile(path.join(path.dirname(gluePath), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, {
      './schema_engine_bg.js': withTrackedTimers(
        glue as unknown as Record<string, unknown>,
      ) as WebAssembly.ModuleImports,
    });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return enginePromise;
}

/**
 * The engine replays migrations into SQLite's shadow database with one `executeRaw` per migration file, but
 * better-sqlite3 prepares a single statement at a time ("contains more than one statement"). Such scripts go
 * through `executeScript`, which runs them whole.
 */
function acceptMultiStatementScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  if (adapter.provider !== 'sqlite') return adapter;
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (query) => {
    try {
      return await executeRaw(query);
    } catch (error) {
      if (
        !(error instanceof RangeError && /more than one statement/.test(error.message)) ||
        query.args.length
      ) {
        throw error;
      }
      await adapter.executeScript(query.sql);
      return 0;
    }
  };
  return adapter;
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

interface PgResultLike {
  fields?: { dataTypeID: number }[];
}

/**
 * The engine reads PostgreSQL's catalog, whose one-byte `"char"` columns (pg_class.relkind, ...) @prisma/adapter-pg
 * refuses ("Column type 'char' could not be deserialized"). Their values arrive as one-letter strings, so every
 * connection of the engine's pools reports them as text.
 */
function readCatalogCharAsText(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const driver = (adapter as { underlyingDriver?: () => unknown }).underlyingDriver?.();
  if (adapter.provider !== 'postgres' || !(driver instanceof pg.Pool)) return adapter;
  const relabel = <R>(result: R): R => {
    for (const field of (result as PgResultLike | undefined)?.fields ?? []) {
      if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    }
    return result;
  };
  driver.on('connect', (client: pg.PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const last = args.at(-1);
      if (typeof last === 'function') {
        return query(...args.slice(0, -1), (error: Error | null, result: unknown) =>
          last(error, error ? result : relabel(result)),
        );
      }
      const pending = query(...args);
      return pending instanceof Promise ? pending.then(relabel) : pending;
    };
  });
  return adapter;
}

/**
 * PrismaPg drops its shadow database before closing the pool still connected to it ("being accessed by other
 * users"), leaking the database. Close the pool first.
 */
function closePoolBeforeDroppingShadowDb(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const driver = (adapter as { underlyingDriver?: () => unknown }).underlyingDriver?.();
  if (adapter.provider !== 'postgres' || !(driver instanceof pg.Pool)) return adapter;
  const dispose = adapter.dispose.bind(adapter);
  adapter.dispose = async () => {
    await driver.end();
    driver.end = () => Promise.resolve(); // PrismaPg ends it again after the drop
    await dispose();
  };
  return adapter;
}

/** Lets `dispose` run once, however many times it is called. */
function disposeOnce(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const dispose = adapter.dispose.bind(adapter);
  let disposed: Promise<void> | null = null;
  adapter.dispose = () => (disposed ??= dispose());
  return adapter;
}

/**
 * Wraps an adapter factory so every connection the engine opens can be closed afterwards (the engine does not
 * always dispose them, and an open pg pool keeps the process alive), with the fixes above applied.
 */
function trackingFactory(factory: SqlMigrationAwareDriverAdapterFactory) {
  const opened: SqlDriverAdapter[] = [];
  const track = (adapter: SqlDriverAdapter) => {
    opened.push(disposeOnce(adapter));
    return adapter;
  };
  const wrapped: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => track(readCatalogCharAsText(await factory.connect())),
    connectToShadowDb: async () =>
      track(
        closePoolBeforeDroppingShadowDb(
          readCatalogCharAsText(acceptMultiStatementScripts(await factory.connectToShadowDb())),
        ),
      ),
  };
  const closeAll = async () => {
    for (const adapter of opened.splice(0)) {
      await adapter
        .dispose()
        .catch((error: unknown) => log.warn({ err: error }, 'schema engine: closing a connection failed'));
    }
  };
  return { wrapped, closeAll };
}

/** The engine's errors arrive as plain objects or strings; make them Errors with the engine's message. */
export function engineError(error: unknown, what: string): Error {
  if (error instanceof Error) return new Error(`${what}: ${error.message}`, { cause: error });
  const message =
    typeof error === 'object' && error !== null && 'message' in error
      ? String(error.message)
      : JSON.stringify(error);
  return new Error(`${what}: ${message}`, { cause: error });
}

/**
 * Runs `work` with a schema engine connected through `factory` (a migration-aware driver adapter factory:
 * PrismaBetterSqlite3 or PrismaPg), then releases the engine and every connection it opened.
 */
export async function withSchemaEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schema: { path: string; content: string },
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const glue = await loadEngineModule();
  const { wrapped, closeAll } = trackingFactory(factory);
  const onLog = (line: string) => log.debug({ engine: line }, 'schema engine');
  let engine: SchemaEngine | null = null;
  runningEngines++;
  try {
    engine = await glue.SchemaEngine.new(
      { datamodels: [[schema.path, schema.content]] },
      onLog,
      bindMigrationAwareSqlAdapterFactory(wrapped),
    );
    return await work(engine);
  } finally {
    engine?.free();
    await closeAll();
    if (--runningEngines === 0) {
      for (const timer of engineTimers) clearTimeout(timer);
      engineTimers.clear();
    }
  }
}

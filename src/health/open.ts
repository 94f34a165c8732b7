/**
 * Provider health lives where the receipt index does, opened from the same URL (its own tables):
 * `memory:` (this process), `sqlite:<path>` / `sqlite::memory:` (one host), `postgres://…` (many).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ReceiptIndexUnavailableError, ReceiptIndexUrlError } from '../receipts/errors';
import { MemoryHealthStore } from './memory';
import { type HealthStore } from './types';

export async function openHealthStore(url: string): Promise<HealthStore> {
  if (url === 'memory:') return new MemoryHealthStore();
  if (url.startsWith('sqlite:')) {
    const location = url.slice('sqlite:'.length);
    const path = location.startsWith('//') ? location.slice(2) : location;
    if (path === '') throw new ReceiptIndexUrlError('sqlite: URL without a path: use sqlite:<path> or sqlite::memory:');
    const { default: Database } = await load('better-sqlite3', () => import('better-sqlite3'));
    const { SqliteHealthStore } = await import('./sqlite');
    const file = path === ':memory:' ? path : resolve(path);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      return new SqliteHealthStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { Pool } = await load('pg', () => import('pg'));
    const { PostgresHealthStore } = await import('./postgres');
    const pool = new Pool({ connectionString: url, max: 4 });
    pool.on('error', () => undefined);
    try {
      return await PostgresHealthStore.open(pool, { endPoolOnClose: true });
    } catch (error) {
      await pool.end();
      throw error;
    }
  }
  throw new ReceiptIndexUrlError('unsupported provider health URL: use memory:, sqlite:<path> or postgres://…');
}

async function load<T>(packageName: 'better-sqlite3' | 'pg', importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    const install = packageName === 'pg' ? 'npm install pg' : 'npm install better-sqlite3@12';
    throw new ReceiptIndexUnavailableError(packageName, install, error);
  }
}

/**
 * A store opened on first use (a plugin is built synchronously; a worker that never sends never
 * opens the database). A failed open is retried by the next use.
 */
export function lazyHealthStore(open: () => Promise<HealthStore>): HealthStore & { opened(): boolean } {
  let store: Promise<HealthStore> | undefined;
  const get = () =>
    (store ??= open().catch((error: unknown) => {
      store = undefined;
      throw error;
    }));
  return {
    opened: () => store !== undefined,
    record: async (start, counts) => (await get()).record(start, counts),
    buckets: async (from) => (await get()).buckets(from),
    breakers: async () => (await get()).breakers(),
    write: async (next) => (await get()).write(next),
    takeProbe: async (key) => (await get()).takeProbe(key),
    prune: async (before) => (await get()).prune(before),
    close: async () => {
      if (store) await (await store).close();
    },
  };
}

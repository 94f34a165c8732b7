/**
 * Provider health lives where the receipt index does, opened from the same URL (its own tables):
 * `memory:` (this process), `sqlite:<path>` / `sqlite::memory:` (one host), `postgres://…` (many).
 */
import { openOnDatabase } from '../receipts/database';
import { MemoryHealthStore } from './memory';
import { type HealthStore } from './types';

export function openHealthStore(url: string): Promise<HealthStore> {
  return openOnDatabase<HealthStore>(url, {
    name: 'provider health',
    memory: () => new MemoryHealthStore(),
    sqlite: async (db) => new (await import('./sqlite')).SqliteHealthStore(db),
    postgres: async (pool) => (await import('./postgres')).PostgresHealthStore.open(pool, { endPoolOnClose: true }),
    pool: { max: 4 },
  });
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

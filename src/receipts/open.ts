/**
 * One URL picks the backend: `memory:` (one process: tests, or worker and receiver in one
 * process), `sqlite:<path>` (one host), `sqlite::memory:`, `postgres://…` / `postgresql://…` (many
 * hosts); see database.ts.
 */
import { openOnDatabase } from './database';
import { MemoryReceiptIndex } from './memory';
import { type ReceiptIndex, type ReceiptIndexLimits } from './types';

export function openReceiptIndex(url: string, limits?: Partial<ReceiptIndexLimits>): Promise<ReceiptIndex> {
  return openOnDatabase<ReceiptIndex>(url, {
    name: 'receipt index',
    memory: () => new MemoryReceiptIndex({ ...(limits && { limits }) }),
    sqlite: async (db) => new (await import('./sqlite')).SqliteReceiptIndex(db, { limits }),
    postgres: async (pool) =>
      (await import('./postgres')).PostgresReceiptIndex.open(pool, { limits, endPoolOnClose: true }),
  });
}

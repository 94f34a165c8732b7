/**
 * The limit store opens from the receipt index's URL (`memory:`, `sqlite:<path>`, `postgres://…`):
 * the same database, tables of its own. Drivers load only here, on first open.
 */
import { type CascadeConfig } from '../config';
import { openOnDatabase } from '../receipts/database';
import { type LimitPolicy } from '../shared/limits';
import { MemoryLimitBackend } from './memory';
import { LimitStore } from './store';
import { type LimitBackend } from './types';

export async function openLimitStore(url: string, policy: LimitPolicy, now?: () => number): Promise<LimitStore> {
  return new LimitStore(await openLimitBackend(url), policy, now);
}

export function openLimitBackend(url: string): Promise<LimitBackend> {
  return openOnDatabase<LimitBackend>(url, {
    name: 'limit store',
    memory: () => new MemoryLimitBackend(),
    sqlite: async (db) => new (await import('./sqlite')).SqliteLimitBackend(db),
    postgres: async (pool) => (await import('./postgres')).PostgresLimitBackend.open(pool, { endPoolOnClose: true }),
    // Short connect timeout: a store that cannot answer is a refusal (or an allowance), not a hang.
    pool: { connectionTimeoutMillis: 5000 },
  });
}

/**
 * Where the workers count when no store is handed to the plugin: the receipt index's database when
 * there is one to share (CASCADE_RECEIPT_INDEX set, or the receiver configured), so every worker
 * counts in one place; otherwise undefined — each worker counts in its own memory.
 */
export function sharedLimitStoreUrl(config: CascadeConfig): string | undefined {
  const { publicUrl, smsbatToken, receiptIndex } = config.webhooks;
  return config.providerHealth.shared || (publicUrl && smsbatToken) ? receiptIndex : undefined;
}

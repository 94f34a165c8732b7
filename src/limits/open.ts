/**
 * The limit store opens from the receipt index's URL (`memory:`, `sqlite:<path>`, `postgres://…`):
 * the same database, tables of its own. Drivers load only here, on first open.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ReceiptIndexUnavailableError, ReceiptIndexUrlError } from '../receipts/errors';
import { type LimitPolicy } from '../shared/limits';
import { MemoryLimitBackend } from './memory';
import { LimitStore } from './store';
import { type LimitBackend } from './types';

export async function openLimitStore(url: string, policy: LimitPolicy, now?: () => number): Promise<LimitStore> {
  return new LimitStore(await openLimitBackend(url), policy, now);
}

export async function openLimitBackend(url: string): Promise<LimitBackend> {
  if (url === 'memory:') return new MemoryLimitBackend();
  if (url.startsWith('sqlite:')) {
    const location = url.slice('sqlite:'.length);
    const path = location.startsWith('//') ? location.slice(2) : location;
    if (path === '') throw new ReceiptIndexUrlError('sqlite: URL without a path: use sqlite:<path> or sqlite::memory:');
    const { default: Database } = await load('better-sqlite3', () => import('better-sqlite3'));
    const { SqliteLimitBackend } = await import('./sqlite');
    const file = path === ':memory:' ? path : resolve(path);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      return new SqliteLimitBackend(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { Pool } = await load('pg', () => import('pg'));
    const { PostgresLimitBackend } = await import('./postgres');
    // Short connect timeout: a store that cannot answer is a refusal (or an allowance), not a hang.
    const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
    pool.on('error', () => undefined);
    try {
      return await PostgresLimitBackend.open(pool, { endPoolOnClose: true });
    } catch (error) {
      await pool.end();
      throw error;
    }
  }
  throw new ReceiptIndexUrlError(
    'unsupported limit store URL: use memory:, sqlite:<path>, sqlite::memory: or postgres://…',
  );
}

async function load<T>(packageName: 'better-sqlite3' | 'pg', importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    const install = packageName === 'pg' ? 'npm install pg' : 'npm install better-sqlite3@12';
    throw new ReceiptIndexUnavailableError(packageName, install, error);
  }
}

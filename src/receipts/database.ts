/**
 * The receipt index's database, for every store that lives in it (the receipt index, the abuse
 * limits, provider health: each with tables of its own). One URL picks the backend: `memory:` (one
 * process), `sqlite:<path>` / `sqlite::memory:` (one host), `postgres://…` / `postgresql://…`
 * (many hosts). Drivers load only here, on first open, so code that never opens a store never
 * loads a native module, and a missing driver is a typed error naming its install line.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Pool, PoolConfig } from 'pg';
import { ReceiptIndexUnavailableError, ReceiptIndexUrlError } from './errors';

/** How one store makes itself on each backend (its own module is imported only when used). */
export interface StoreOnDatabase<T> {
  /** For error messages: `receipt index`, `limit store`, … */
  name: string;
  memory(): T;
  sqlite(db: BetterSqlite3.Database): Promise<T>;
  /** The pool is the store's: it ends it on close (`endPoolOnClose`). */
  postgres(pool: Pool): Promise<T>;
  pool?: Omit<PoolConfig, 'connectionString'>;
}

export async function openOnDatabase<T>(url: string, store: StoreOnDatabase<T>): Promise<T> {
  if (url === 'memory:') return store.memory();
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length), store);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, store);
  throw new ReceiptIndexUrlError(
    `unsupported ${store.name} URL ${redactUrl(url)}: use memory:, sqlite:<path>, sqlite::memory: or postgres://…`,
  );
}

async function openSqlite<T>(location: string, store: StoreOnDatabase<T>): Promise<T> {
  const path = location.startsWith('//') ? location.slice(2) : location; // sqlite:///abs/path too
  if (path === '') throw new ReceiptIndexUrlError('sqlite: URL without a path: use sqlite:<path> or sqlite::memory:');
  const { default: Database } = await load('better-sqlite3', () => import('better-sqlite3'));
  const file = path === ':memory:' ? path : resolve(path);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let db;
  try {
    db = new Database(file);
  } catch (error) {
    // better-sqlite3 loads its native binding on first use, not on import.
    if (!/bindings|\.node\b|NODE_MODULE_VERSION/i.test(String(error))) throw error;
    throw unavailable('better-sqlite3', error);
  }
  try {
    return await store.sqlite(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

async function openPostgres<T>(url: string, store: StoreOnDatabase<T>): Promise<T> {
  const { Pool } = await load('pg', () => import('pg'));
  const pool = new Pool({ max: 10, ...store.pool, connectionString: url });
  // An idle connection the server drops is reported here; without a listener it would crash the
  // process. The next query opens a new connection or fails with its own error.
  pool.on('error', () => undefined);
  try {
    return await store.postgres(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
}

async function load<T>(packageName: 'better-sqlite3' | 'pg', importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    throw unavailable(packageName, error);
  }
}

function unavailable(packageName: 'better-sqlite3' | 'pg', cause: unknown): ReceiptIndexUnavailableError {
  const install = packageName === 'pg' ? 'npm install pg' : 'npm install better-sqlite3@12';
  return new ReceiptIndexUnavailableError(packageName, install, cause);
}

/** The URL with any password replaced by `***` (userinfo and `password=` query parameters). */
export function redactUrl(url: string): string {
  // Greedy to the last `@`, so a password with an unescaped `@` is hidden too; over-redacting is fine.
  return url.replace(/^([^:/?#]+:\/\/[^:/@]*:).*@/, '$1***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/**
 * One URL picks the backend: `memory:` (one process: tests, or worker and receiver in one
 * process), `sqlite:<path>` (one host), `sqlite::memory:`,
 * `postgres://…` / `postgresql://…` (many hosts). Drivers load only here, on first open, so code
 * that never opens an index never loads a native module, and a missing driver is a typed error.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ReceiptIndexUnavailableError, ReceiptIndexUrlError } from './errors';
import { MemoryReceiptIndex } from './memory';
import { type ReceiptIndex, type ReceiptIndexLimits } from './types';

export async function openReceiptIndex(url: string, limits?: Partial<ReceiptIndexLimits>): Promise<ReceiptIndex> {
  if (url === 'memory:') return new MemoryReceiptIndex({ ...(limits && { limits }) });
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length), limits);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, limits);
  throw new ReceiptIndexUrlError(
    `unsupported receipt index URL ${redactUrl(url)}: use memory:, sqlite:<path>, sqlite::memory: or postgres://…`,
  );
}

async function openSqlite(location: string, limits?: Partial<ReceiptIndexLimits>): Promise<ReceiptIndex> {
  const path = location.startsWith('//') ? location.slice(2) : location; // sqlite:///abs/path too
  if (path === '') throw new ReceiptIndexUrlError('sqlite: URL without a path: use sqlite:<path> or sqlite::memory:');
  const { default: Database } = await load('better-sqlite3', () => import('better-sqlite3'));
  const { SqliteReceiptIndex } = await import('./sqlite');
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
    return new SqliteReceiptIndex(db, { limits });
  } catch (error) {
    db.close();
    throw error;
  }
}

async function openPostgres(url: string, limits?: Partial<ReceiptIndexLimits>): Promise<ReceiptIndex> {
  const { Pool } = await load('pg', () => import('pg'));
  const { PostgresReceiptIndex } = await import('./postgres');
  const pool = new Pool({ connectionString: url, max: 10 });
  // An idle connection the server drops is reported here; without a listener it would crash the
  // process. The next query opens a new connection or fails with its own error.
  pool.on('error', () => undefined);
  try {
    return await PostgresReceiptIndex.open(pool, { limits, endPoolOnClose: true });
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
function redactUrl(url: string): string {
  // Greedy to the last `@`, so a password with an unescaped `@` is hidden too; over-redacting is fine.
  return url.replace(/^([^:/?#]+:\/\/[^:/@]*:).*@/, '$1***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}

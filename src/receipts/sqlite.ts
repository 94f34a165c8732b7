/**
 * The receipt index in one SQLite file, shared by the processes of one host (a worker claims, the
 * webhook receiver routes). Every operation is one BEGIN IMMEDIATE transaction: it takes the
 * file's write lock before reading, so a claim and a route of the same id run one after the other
 * whichever process issues them, and the second one sees what the first wrote.
 *
 * better-sqlite3 is synchronous: a transaction waiting on another process's lock blocks this event
 * loop for up to `busyTimeoutMs`. The transactions are a few row reads and writes, so that wait is
 * short; the async interface is kept so callers need not know which backend they hold.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { type DeliveryStatus, type ProviderName } from '../shared/delivery-status';
import { ReceiptIndexSchemaError } from './errors';
import {
  isSettled,
  lastClaimPerId,
  newestSettledStatus,
  ownerColumns,
  ownerFromColumns,
  resolveLimits,
  type OwnerColumns,
  type ReceiptIndexOptions,
} from './rules';
import {
  type ReceiptClaim,
  type ReceiptIndex,
  type ReceiptIndexLimits,
  type ReceiptIndexStats,
  type RouteDecision,
} from './types';

/** Bumped with every change to the table; `user_version` records which one a file has. */
const SCHEMA_VERSION = 1;
const EXPIRE_BATCH = 1000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cascade_receipts (
    provider TEXT NOT NULL,
    message_id TEXT NOT NULL,
    kind TEXT,
    workflow_id TEXT, -- null while parked
    slot INTEGER,
    parked TEXT NOT NULL DEFAULT '[]', -- JSON array of DeliveryStatus, oldest first
    last_settled TEXT, -- raw status of the last settled receipt the owner got
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (provider, message_id)
  );
  CREATE INDEX IF NOT EXISTS cascade_receipts_expiry ON cascade_receipts (expires_at);
  CREATE INDEX IF NOT EXISTS cascade_receipts_parked ON cascade_receipts (expires_at) WHERE workflow_id IS NULL;
`;

interface Row extends OwnerColumns {
  parked: string;
  last_settled: string | null;
}

export interface SqliteReceiptIndexOptions extends ReceiptIndexOptions {
  /** How long an operation waits for another process's write lock. */
  busyTimeoutMs?: number;
}

export class SqliteReceiptIndex implements ReceiptIndex {
  private readonly limits: ReceiptIndexLimits;
  private readonly now: () => number;
  private refusedFull = 0;
  private expired = 0;
  private readonly sql: ReturnType<typeof statements>;

  /** Takes an open database (the caller loads better-sqlite3) and owns it from then on. */
  constructor(
    private readonly db: BetterSqlite3.Database,
    options: SqliteReceiptIndexOptions = {},
  ) {
    this.limits = resolveLimits(options.limits);
    this.now = options.now ?? Date.now;
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    // WAL lets the receiver read while a worker writes. NORMAL in WAL mode survives process
    // crashes; a power loss may lose the last commits, and the flows' status polls cover those.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    this.migrate();
    this.sql = statements(db);
  }

  async claim(provider: ProviderName, claims: ReceiptClaim[]): Promise<Map<string, DeliveryStatus[]>> {
    const expiresAt = this.now() + this.limits.claimTtlMs;
    const handedOver = new Map<string, DeliveryStatus[]>();
    this.db
      .transaction(() => {
        for (const { messageId, owner } of lastClaimPerId(claims)) {
          const row = this.sql.row.get(provider, messageId);
          const parked: DeliveryStatus[] = row && row.workflow_id === null ? JSON.parse(row.parked) : [];
          if (parked.length > 0) handedOver.set(messageId, parked);
          this.sql.claim.run({
            provider,
            message_id: messageId,
            ...ownerColumns(owner),
            // Receipts handed over by the claim reach the owner: their repeats are duplicates.
            last_settled: newestSettledStatus(parked) ?? row?.last_settled ?? null,
            expires_at: expiresAt,
          });
        }
      })
      .immediate();
    return handedOver;
  }

  async route(receipt: DeliveryStatus): Promise<RouteDecision> {
    const { provider, providerMessageId: id } = receipt;
    const decide = (): RouteDecision => {
      const row = this.sql.row.get(provider, id);
      const owner = row && ownerFromColumns(row);
      if (row && owner) {
        const duplicate = isSettled(receipt) && row.last_settled === receipt.rawStatus;
        if (isSettled(receipt)) this.sql.settle.run(receipt.rawStatus, provider, id);
        return { kind: 'owner', owner, duplicate };
      }
      if (!row && this.sql.parkedIds.get()!.n >= this.limits.maxParked) return { kind: 'full' };
      const parked: DeliveryStatus[] = row ? JSON.parse(row.parked) : [];
      parked.push(receipt);
      const kept = parked.slice(-this.limits.maxParkedPerId);
      this.sql.park.run(provider, id, JSON.stringify(kept), this.now() + this.limits.parkTtlMs);
      return { kind: 'parked' };
    };
    const decision = this.db.transaction(decide).immediate();
    if (decision.kind === 'full') this.refusedFull++;
    return decision;
  }

  async release(receipt: DeliveryStatus): Promise<void> {
    this.sql.release.run(receipt.provider, receipt.providerMessageId, receipt.rawStatus);
  }

  async expire(now = this.now()): Promise<number> {
    // One transaction per batch, so routes and claims wait for one batch at most.
    const batch = this.db.transaction(() => this.sql.expire.run(now).changes);
    let removed = 0;
    for (;;) {
      const n = batch.immediate();
      removed += n;
      if (n < EXPIRE_BATCH) break;
    }
    this.expired += removed;
    return removed;
  }

  async stats(): Promise<ReceiptIndexStats> {
    const counts = this.sql.stats.get()!;
    return { parked: counts.parked, claimed: counts.claimed, refusedFull: this.refusedFull, expired: this.expired };
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private migrate(): void {
    this.db
      .transaction(() => {
        const version = this.db.pragma('user_version', { simple: true }) as number;
        if (version > SCHEMA_VERSION) {
          throw new ReceiptIndexSchemaError(
            `${this.db.name} has receipt-index schema ${version}; this version of temporal-cascade knows ${SCHEMA_VERSION}`,
          );
        }
        if (version === SCHEMA_VERSION) return;
        this.db.exec(SCHEMA);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })
      .immediate();
  }
}

function statements(db: BetterSqlite3.Database) {
  return {
    row: db.prepare<[string, string], Row>(
      'SELECT kind, workflow_id, slot, parked, last_settled FROM cascade_receipts WHERE provider = ? AND message_id = ?',
    ),
    claim: db.prepare(
      `INSERT INTO cascade_receipts (provider, message_id, kind, workflow_id, slot, last_settled, expires_at)
       VALUES (@provider, @message_id, @kind, @workflow_id, @slot, @last_settled, @expires_at)
       ON CONFLICT (provider, message_id) DO UPDATE SET kind = excluded.kind, workflow_id = excluded.workflow_id,
         slot = excluded.slot, parked = '[]', last_settled = excluded.last_settled, expires_at = excluded.expires_at`,
    ),
    park: db.prepare(
      `INSERT INTO cascade_receipts (provider, message_id, parked, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (provider, message_id) DO UPDATE SET parked = excluded.parked, expires_at = excluded.expires_at`,
    ),
    settle: db.prepare('UPDATE cascade_receipts SET last_settled = ? WHERE provider = ? AND message_id = ?'),
    release: db.prepare(
      'UPDATE cascade_receipts SET last_settled = NULL WHERE provider = ? AND message_id = ? AND last_settled = ?',
    ),
    parkedIds: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM cascade_receipts WHERE workflow_id IS NULL'),
    expire: db.prepare(
      `DELETE FROM cascade_receipts WHERE rowid IN
         (SELECT rowid FROM cascade_receipts WHERE expires_at <= ? LIMIT ${EXPIRE_BATCH})`,
    ),
    stats: db.prepare<[], { parked: number; claimed: number }>(
      `SELECT coalesce(sum(CASE WHEN workflow_id IS NULL THEN json_array_length(parked) END), 0) AS parked,
         count(workflow_id) AS claimed FROM cascade_receipts`,
    ),
  };
}

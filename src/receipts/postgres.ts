/**
 * The receipt index in one PostgreSQL table, shared by every host. Claim and route are each ONE
 * statement (`INSERT … ON CONFLICT (provider, message_id) DO UPDATE … RETURNING`) at READ
 * COMMITTED, without SERIALIZABLE: the first statement to reach an id's row locks it (or, for a new
 * id, its pending insert makes the other wait), and the other then runs its ON CONFLICT branch on
 * the row the first committed: DO UPDATE works on the latest version, not on its own snapshot.
 *
 * So a claim C and a route R of one id run one after the other, never interleaved:
 * - C first: R finds an owner, leaves `receipts` alone and answers `owner` (C never saw the receipt);
 * - R first: R parks the receipt and answers `parked`; C finds no owner and hands back `receipts`.
 * Exactly one side delivers the receipt, and neither decides from a read made before its write.
 * A claim batch locks its rows in id order (lastClaimPerId), so two batches cannot deadlock.
 *
 * RETURNING shows the row as written (PostgreSQL < 18 has no OLD), so what a caller needs from the
 * row as it was is written into it: `handed_over` (what this claim took from the park) and
 * `last_route_duplicate`.
 */
import type { Pool } from 'pg';
import { type DeliveryStatus, type ProviderName } from '../shared/delivery-status';
import {
  isSettled,
  lastClaimPerId,
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

const EXPIRE_BATCH = 1000;

export interface PostgresReceiptIndexOptions extends ReceiptIndexOptions {
  /** The table's name (created if missing): letters, digits and `_`. */
  table?: string;
  /** Whether `close()` ends the pool: true when the index made it (openReceiptIndex). */
  endPoolOnClose?: boolean;
}

export class PostgresReceiptIndex implements ReceiptIndex {
  private readonly limits: ReceiptIndexLimits;
  private readonly now: () => number;
  private readonly sql: ReturnType<typeof statements>;
  private refusedFull = 0;
  private expired = 0;

  private constructor(
    private readonly pool: Pool,
    private readonly options: PostgresReceiptIndexOptions,
  ) {
    this.limits = resolveLimits(options.limits);
    this.now = options.now ?? Date.now;
    this.sql = statements(tableName(options.table ?? 'cascade_receipts'));
  }

  /** Creates the table if missing; the pool stays the caller's unless `endPoolOnClose`. */
  static async open(pool: Pool, options: PostgresReceiptIndexOptions = {}): Promise<PostgresReceiptIndex> {
    const index = new PostgresReceiptIndex(pool, options);
    const client = await pool.connect();
    try {
      // CREATE … IF NOT EXISTS is not safe against itself: hosts starting together take turns.
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [index.sql.lockName]);
      await client.query(index.sql.schema);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    return index;
  }

  async claim(provider: ProviderName, claims: ReceiptClaim[]): Promise<Map<string, DeliveryStatus[]>> {
    const batch = lastClaimPerId(claims).map((c) => ({ id: c.messageId, ...ownerColumns(c.owner) }));
    if (batch.length === 0) return new Map();
    const { rows } = await this.pool.query<{ message_id: string; handed_over: DeliveryStatus[] }>(this.sql.claim, [
      provider,
      batch.map((c) => c.id),
      batch.map((c) => c.kind),
      batch.map((c) => c.workflow_id),
      batch.map((c) => c.slot),
      this.now() + this.limits.claimTtlMs,
    ]);
    return new Map(rows.filter((r) => r.handed_over.length > 0).map((r) => [r.message_id, r.handed_over]));
  }

  async route(receipt: DeliveryStatus): Promise<RouteDecision> {
    const { rows } = await this.pool.query<OwnerColumns & { last_route_duplicate: boolean }>(this.sql.route, [
      receipt.provider,
      receipt.providerMessageId,
      JSON.stringify(receipt),
      this.now() + this.limits.parkTtlMs,
      this.limits.maxParkedPerId,
      isSettled(receipt),
      receipt.rawStatus,
      this.limits.maxParked,
    ]);
    if (rows.length === 0) {
      this.refusedFull++;
      return { kind: 'full' };
    }
    const owner = ownerFromColumns(rows[0]);
    return owner ? { kind: 'owner', owner, duplicate: rows[0].last_route_duplicate } : { kind: 'parked' };
  }

  async release(receipt: DeliveryStatus): Promise<void> {
    await this.pool.query(this.sql.release, [receipt.provider, receipt.providerMessageId, receipt.rawStatus]);
  }

  async expire(now = this.now()): Promise<number> {
    // Bounded batches: each DELETE holds its row locks briefly, so claims and routes barely wait.
    let removed = 0;
    for (;;) {
      const { rowCount } = await this.pool.query(this.sql.expire, [now, EXPIRE_BATCH]);
      removed += rowCount ?? 0;
      if ((rowCount ?? 0) < EXPIRE_BATCH) break;
    }
    this.expired += removed;
    return removed;
  }

  async stats(): Promise<ReceiptIndexStats> {
    const { rows } = await this.pool.query<{ parked: string; claimed: string }>(this.sql.stats);
    const { parked, claimed } = rows[0];
    return { parked: Number(parked), claimed: Number(claimed), refusedFull: this.refusedFull, expired: this.expired };
  }

  async close(): Promise<void> {
    if (this.options.endPoolOnClose) await this.pool.end();
  }
}

function tableName(name: string): string {
  // Interpolated into SQL (identifiers cannot be parameters), so only plain names pass.
  if (!/^[a-z_][a-z0-9_]{0,47}$/.test(name)) {
    throw new RangeError(`receipt index table name must match [a-z_][a-z0-9_]{0,47}, got ${JSON.stringify(name)}`);
  }
  return name;
}

function statements(table: string) {
  const t = `"${table}"`;
  return {
    lockName: `temporal-cascade receipt index ${table}`,
    schema: `
      CREATE TABLE IF NOT EXISTS ${t} (
        provider text NOT NULL,
        message_id text NOT NULL,
        kind text CHECK (kind IN ('flow', 'bulk')),
        workflow_id text, -- null while parked
        slot integer,
        receipts jsonb NOT NULL DEFAULT '[]', -- parked receipts, oldest first; [] once claimed
        handed_over jsonb NOT NULL DEFAULT '[]', -- what the last claim took from the park
        last_settled text, -- raw status of the last settled receipt the owner got
        last_route_duplicate boolean NOT NULL DEFAULT false,
        expires_at bigint NOT NULL, -- epoch ms
        PRIMARY KEY (provider, message_id)
      );
      CREATE INDEX IF NOT EXISTS "${table}_expiry" ON ${t} (expires_at);
      CREATE INDEX IF NOT EXISTS "${table}_parked" ON ${t} (expires_at) WHERE workflow_id IS NULL;`,

    // $1 provider, $2..$5 the batch as arrays (sorted by id: see lastClaimPerId), $6 expires_at.
    // SET expressions read the row as it was, so a parked row's receipts move to handed_over.
    claim: `
      INSERT INTO ${t} AS r (provider, message_id, kind, workflow_id, slot, expires_at)
      SELECT $1::text, c.message_id, c.kind, c.workflow_id, c.slot, $6::bigint
        FROM unnest($2::text[], $3::text[], $4::text[], $5::int[]) WITH ORDINALITY
          AS c(message_id, kind, workflow_id, slot, n)
        ORDER BY c.n
      ON CONFLICT (provider, message_id) DO UPDATE SET
        kind = excluded.kind, workflow_id = excluded.workflow_id, slot = excluded.slot,
        expires_at = excluded.expires_at,
        receipts = '[]',
        handed_over = CASE WHEN r.workflow_id IS NULL THEN r.receipts ELSE '[]' END,
        -- receipts handed over reach the owner: their repeats are duplicates
        last_settled = coalesce(
          (SELECT e.value->>'rawStatus' FROM jsonb_array_elements(r.receipts) WITH ORDINALITY AS e(value, n)
            WHERE r.workflow_id IS NULL AND e.value->>'state' IN ('delivered', 'failed')
            ORDER BY e.n DESC LIMIT 1),
          r.last_settled)
      RETURNING message_id, handed_over`,

    // $1 provider, $2 message id, $3 the receipt, $4 park expiry, $5 maxParkedPerId, $6 settled,
    // $7 raw status, $8 maxParked. No row back: the park is full.
    // The park cap is approximate: it counts parked ids in this statement's snapshot, so routes of
    // new ids running at the same moment may each see room, and the cap can be passed by at most
    // the number of concurrent routes (connections across hosts). An id already in the table is
    // never refused; one whose claim commits while this statement runs may be answered `full`:
    // the provider retries, and the retry finds the owner.
    route: `
      INSERT INTO ${t} AS r (provider, message_id, receipts, expires_at)
      SELECT $1::text, $2::text, jsonb_build_array($3::jsonb), $4::bigint
        WHERE EXISTS (SELECT 1 FROM ${t} WHERE provider = $1 AND message_id = $2)
           OR (SELECT count(*) FROM (SELECT 1 FROM ${t} WHERE workflow_id IS NULL LIMIT $8::int) p) < $8::int
      ON CONFLICT (provider, message_id) DO UPDATE SET
        receipts = CASE WHEN r.workflow_id IS NOT NULL THEN r.receipts ELSE
          (SELECT jsonb_agg(e.value ORDER BY e.n)
             FROM jsonb_array_elements(r.receipts || excluded.receipts) WITH ORDINALITY AS e(value, n)
            WHERE e.n > jsonb_array_length(r.receipts) + 1 - $5::int) END,
        expires_at = CASE WHEN r.workflow_id IS NULL THEN excluded.expires_at ELSE r.expires_at END,
        last_route_duplicate = r.workflow_id IS NOT NULL AND $6::boolean AND r.last_settled IS NOT DISTINCT FROM $7::text,
        last_settled = CASE WHEN r.workflow_id IS NOT NULL AND $6::boolean THEN $7::text ELSE r.last_settled END
      RETURNING kind, workflow_id, slot, last_route_duplicate`,

    // FOR UPDATE re-checks the expiry on a row's latest version (one claimed or re-parked meanwhile
    // is kept); SKIP LOCKED leaves rows a claim or route holds to the next expire, so expire never
    // waits on them and cannot deadlock with a claim batch.
    expire: `
      DELETE FROM ${t} WHERE (provider, message_id) IN
        (SELECT provider, message_id FROM ${t} WHERE expires_at <= $1::bigint LIMIT $2::int FOR UPDATE SKIP LOCKED)`,

    release: `UPDATE ${t} SET last_settled = NULL WHERE provider = $1 AND message_id = $2 AND last_settled = $3`,

    stats: `
      SELECT coalesce(sum(jsonb_array_length(receipts)) FILTER (WHERE workflow_id IS NULL), 0) AS parked,
             count(workflow_id) AS claimed
        FROM ${t}`,
  };
}

/**
 * The limits in a SQLite file (the receipt index's, one host): every admission is one BEGIN
 * IMMEDIATE transaction, so admissions from every process on the host run one after the other and
 * each sees the counts the previous one wrote. Tables of their own, next to the receipt index's.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { type LimitVerdict } from '../shared/types';
import { type AdmitRequest, type BlockRow, type FlowRow, type LimitBackend, type Sum, type SumQuery } from './types';

const SCHEMA_VERSION = 1;
const EXPIRE_BATCH = 1000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cascade_limit_counts (
    key TEXT NOT NULL,
    bucket INTEGER NOT NULL, -- epoch ms of the bucket's start
    started INTEGER NOT NULL DEFAULT 0,
    verified INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (key, bucket)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS cascade_limit_counts_expiry ON cascade_limit_counts (expires_at);
  CREATE TABLE IF NOT EXISTS cascade_limit_runs (
    flow_key TEXT PRIMARY KEY, -- workflow id / run id
    at INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    counted TEXT NOT NULL, -- JSON [[key, bucket], …]
    verified INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS cascade_limit_runs_expiry ON cascade_limit_runs (expires_at);
  CREATE TABLE IF NOT EXISTS cascade_limit_blocks (
    key TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    reason TEXT NOT NULL,
    since INTEGER NOT NULL,
    until INTEGER, -- null: until an operator lifts it
    trips INTEGER NOT NULL,
    monitor INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS cascade_limit_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

interface BlockColumns {
  key: string;
  rule: BlockRow['rule'];
  reason: string;
  since: number;
  until: number | null;
  trips: number;
  monitor: number;
  expires_at: number;
}

export class SqliteLimitBackend implements LimitBackend {
  private readonly sql: ReturnType<typeof statements>;

  /** Takes an open database and owns it from then on. */
  constructor(
    private readonly db: BetterSqlite3.Database,
    options: { busyTimeoutMs?: number } = {},
  ) {
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.transaction(() => {
      db.exec(SCHEMA);
      const row = db.prepare("SELECT value FROM cascade_limit_meta WHERE name = 'schema'").get() as
        { value: number } | undefined;
      if (row && row.value > SCHEMA_VERSION) {
        throw new Error(`${db.name} has limit-store schema ${row.value}; this version knows ${SCHEMA_VERSION}`);
      }
      db.prepare("INSERT OR REPLACE INTO cascade_limit_meta (name, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
    }).immediate();
    this.sql = statements(db);
  }

  async admit(request: AdmitRequest): Promise<LimitVerdict> {
    return this.db
      .transaction((): LimitVerdict => {
        const run = this.sql.run.get(request.flowKey);
        const plan = request.decide({
          ...(run && { flow: { flowKey: request.flowKey, verdict: JSON.parse(run.verdict) } as FlowRow }),
          sums: this.sumsNow(request.queries),
          blocks: request.blockKeys
            .map((k) => this.sql.block.get(k))
            .filter((b) => b !== undefined)
            .map(fromColumns),
        });
        if ('existing' in plan) return plan.existing;
        for (const i of plan.increments) this.sql.increment.run(i.key, i.bucket, i.expiresAt);
        const f = plan.flow;
        this.sql.insertRun.run(f.flowKey, f.at, JSON.stringify(f.verdict), JSON.stringify(f.counted), f.expiresAt);
        for (const b of plan.blocks) this.sql.putBlock.run(toColumns(b));
        return f.verdict;
      })
      .immediate();
  }

  async convert(flowKey: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        const run = this.sql.unverifiedRun.get(flowKey);
        if (!run) return false;
        const counted = JSON.parse(run.counted) as [string, number][];
        if (counted.length === 0) return false;
        this.sql.markVerified.run(flowKey);
        for (const [key, bucket] of counted) this.sql.verify.run(key, bucket);
        return true;
      })
      .immediate();
  }

  async putBlock(row: BlockRow): Promise<void> {
    this.sql.putBlock.run(toColumns(row));
  }

  async getBlocks(keys?: string[]): Promise<BlockRow[]> {
    const rows = keys ? keys.map((k) => this.sql.block.get(k)).filter((b) => b !== undefined) : this.sql.blocks.all();
    return rows.map(fromColumns);
  }

  async sums(queries: SumQuery[]): Promise<Sum[]> {
    return this.sumsNow(queries);
  }

  async expire(now: number): Promise<number> {
    let removed = 0;
    for (const statement of [this.sql.expireCounts, this.sql.expireRuns, this.sql.expireBlocks]) {
      for (;;) {
        const n = this.db.transaction(() => statement.run(now).changes).immediate();
        removed += n;
        if (n < EXPIRE_BATCH) break;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private sumsNow(queries: SumQuery[]): Sum[] {
    return queries.map((q) => {
      const row = this.sql.sum.get({ key: q.key, from: q.from, after: q.afterBlockOf ?? null, to: q.to })!;
      return { started: row.started, verified: row.verified, ...(row.oldest !== null && { oldest: row.oldest }) };
    });
  }
}

function toColumns(b: BlockRow): BlockColumns {
  return {
    key: b.key,
    rule: b.rule,
    reason: b.reason,
    since: b.since,
    until: b.until,
    trips: b.trips,
    monitor: b.monitor ? 1 : 0,
    expires_at: Math.min(b.expiresAt, Number.MAX_SAFE_INTEGER),
  };
}

function fromColumns(c: BlockColumns): BlockRow {
  return {
    key: c.key,
    rule: c.rule,
    reason: c.reason,
    since: c.since,
    until: c.until,
    trips: c.trips,
    monitor: Boolean(c.monitor),
    expiresAt: c.expires_at,
  };
}

function statements(db: BetterSqlite3.Database) {
  return {
    run: db.prepare<[string], { verdict: string }>('SELECT verdict FROM cascade_limit_runs WHERE flow_key = ?'),
    unverifiedRun: db.prepare<[string], { counted: string }>(
      'SELECT counted FROM cascade_limit_runs WHERE flow_key = ? AND verified = 0',
    ),
    markVerified: db.prepare('UPDATE cascade_limit_runs SET verified = 1 WHERE flow_key = ?'),
    insertRun: db.prepare(
      'INSERT INTO cascade_limit_runs (flow_key, at, verdict, counted, expires_at) VALUES (?, ?, ?, ?, ?)',
    ),
    increment: db.prepare(
      `INSERT INTO cascade_limit_counts (key, bucket, started, expires_at) VALUES (?, ?, 1, ?)
       ON CONFLICT (key, bucket) DO UPDATE SET started = started + 1`,
    ),
    verify: db.prepare('UPDATE cascade_limit_counts SET verified = verified + 1 WHERE key = ? AND bucket = ?'),
    // ?3: the key whose last block's end raises the window's start (codes before it no longer judge).
    sum: db.prepare<
      { key: string; from: number; after: string | null; to: number },
      { started: number; verified: number; oldest: number | null }
    >(
      `SELECT coalesce(sum(started), 0) AS started, coalesce(sum(verified), 0) AS verified,
              min(CASE WHEN started > 0 THEN bucket END) AS oldest
         FROM cascade_limit_counts
        WHERE key = @key AND bucket < @to
          AND bucket >= max(@from, coalesce((SELECT until FROM cascade_limit_blocks WHERE key = @after), 0))`,
    ),
    block: db.prepare<[string], BlockColumns>('SELECT * FROM cascade_limit_blocks WHERE key = ?'),
    blocks: db.prepare<[], BlockColumns>('SELECT * FROM cascade_limit_blocks'),
    putBlock: db.prepare(
      `INSERT OR REPLACE INTO cascade_limit_blocks (key, rule, reason, since, until, trips, monitor, expires_at)
       VALUES (@key, @rule, @reason, @since, @until, @trips, @monitor, @expires_at)`,
    ),
    expireCounts: db.prepare(
      `DELETE FROM cascade_limit_counts WHERE (key, bucket) IN
         (SELECT key, bucket FROM cascade_limit_counts WHERE expires_at <= ? LIMIT ${EXPIRE_BATCH})`,
    ),
    expireRuns: db.prepare(
      `DELETE FROM cascade_limit_runs WHERE flow_key IN
         (SELECT flow_key FROM cascade_limit_runs WHERE expires_at <= ? LIMIT ${EXPIRE_BATCH})`,
    ),
    expireBlocks: db.prepare(`DELETE FROM cascade_limit_blocks WHERE expires_at <= ?`),
  };
}

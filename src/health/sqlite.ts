/**
 * Provider health in the receipt index's SQLite file (tables of its own), shared by the processes
 * of one host. Each method is one BEGIN IMMEDIATE transaction, so a compare-and-set transition
 * and a probe taken by another process run one after the other.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { HEALTH_COUNTS, type BreakerRecord, type HealthBucket, type HealthCounts, type HealthStore } from './types';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cascade_health_buckets (
    key TEXT NOT NULL,
    start INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_tries INTEGER NOT NULL DEFAULT 0,
    first_errors INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    ok INTEGER NOT NULL DEFAULT 0,
    expected INTEGER NOT NULL DEFAULT 0,
    delivered INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key, start)
  );
  CREATE INDEX IF NOT EXISTS cascade_health_buckets_start ON cascade_health_buckets (start);
  CREATE TABLE IF NOT EXISTS cascade_health_breakers (
    key TEXT PRIMARY KEY,
    record TEXT NOT NULL, -- the BreakerRecord as JSON (probe counts and probes_left live in columns)
    state TEXT NOT NULL,
    probes_left INTEGER NOT NULL DEFAULT 0,
    probe_ok INTEGER NOT NULL DEFAULT 0,
    probe_errors INTEGER NOT NULL DEFAULT 0,
    probe_delivered INTEGER NOT NULL DEFAULT 0,
    probe_failed INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL
  );
`;

/** Counter names as columns. */
export const COLUMNS: Record<keyof HealthCounts, string> = {
  attempts: 'attempts',
  firstTries: 'first_tries',
  firstErrors: 'first_errors',
  errors: 'errors',
  ok: 'ok',
  expected: 'expected',
  delivered: 'delivered',
  failed: 'failed',
};

interface BreakerRow {
  record: string;
  probes_left: number;
  probe_ok: number;
  probe_errors: number;
  probe_delivered: number;
  probe_failed: number;
  version: number;
}

export function fromRow(row: BreakerRow): BreakerRecord {
  return {
    ...(JSON.parse(row.record) as BreakerRecord),
    probesLeft: Number(row.probes_left),
    probe: {
      ok: Number(row.probe_ok),
      errors: Number(row.probe_errors),
      delivered: Number(row.probe_delivered),
      failed: Number(row.probe_failed),
    },
    version: Number(row.version),
  };
}

/** The JSON column: everything but what lives in columns of its own. */
export function recordJson(r: BreakerRecord): string {
  const { probe: _probe, probesLeft: _left, version: _version, ...rest } = r;
  return JSON.stringify(rest);
}

export class SqliteHealthStore implements HealthStore {
  private readonly sql: ReturnType<typeof statements>;

  /** Takes an open database and owns it from then on. */
  constructor(private readonly db: BetterSqlite3.Database) {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.transaction(() => db.exec(SCHEMA)).immediate();
    this.sql = statements(db);
  }

  async record(bucketStart: number, counts: Map<string, HealthCounts>): Promise<void> {
    this.db
      .transaction(() => {
        for (const [key, c] of counts) {
          this.sql.bucket.run({ key, start: bucketStart, ...c });
          this.sql.probe.run({ key, ok: c.ok, errors: c.errors, delivered: c.delivered, failed: c.failed });
        }
      })
      .immediate();
  }

  async buckets(from: number): Promise<HealthBucket[]> {
    return this.sql.buckets.all(from).map((r) => {
      const b: HealthBucket = { key: r.key as string, start: Number(r.start), ...zero() };
      for (const name of HEALTH_COUNTS) b[name] = Number(r[COLUMNS[name]]);
      return b;
    });
  }

  async breakers(): Promise<BreakerRecord[]> {
    return this.sql.breakers.all().map(fromRow);
  }

  async write(next: BreakerRecord): Promise<boolean> {
    const row = {
      key: next.key,
      record: recordJson(next),
      state: next.state,
      probes_left: next.probesLeft,
      ...probeColumns(next),
      version: next.version,
    };
    return this.db
      .transaction(() =>
        next.version === 1 ? this.sql.insert.run(row).changes === 1 : this.sql.update.run(row).changes === 1,
      )
      .immediate();
  }

  async takeProbe(key: string): Promise<boolean> {
    return this.sql.takeProbe.run(key).changes === 1;
  }

  async prune(before: number): Promise<number> {
    return this.sql.prune.run(before).changes;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

export function probeColumns(r: BreakerRecord) {
  return {
    probe_ok: r.probe.ok,
    probe_errors: r.probe.errors,
    probe_delivered: r.probe.delivered,
    probe_failed: r.probe.failed,
  };
}

function zero(): HealthCounts {
  return { attempts: 0, firstTries: 0, firstErrors: 0, errors: 0, ok: 0, expected: 0, delivered: 0, failed: 0 };
}

function statements(db: BetterSqlite3.Database) {
  const names = HEALTH_COUNTS.map((n) => COLUMNS[n]);
  return {
    bucket: db.prepare(
      `INSERT INTO cascade_health_buckets (key, start, ${names.join(', ')})
       VALUES (@key, @start, ${HEALTH_COUNTS.map((n) => `@${n}`).join(', ')})
       ON CONFLICT (key, start) DO UPDATE SET ${names.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
    ),
    probe: db.prepare(
      `UPDATE cascade_health_breakers SET probe_ok = probe_ok + @ok, probe_errors = probe_errors + @errors,
         probe_delivered = probe_delivered + @delivered, probe_failed = probe_failed + @failed
       WHERE key = @key AND state = 'half_open'`,
    ),
    buckets: db.prepare<[number], Record<string, unknown>>('SELECT * FROM cascade_health_buckets WHERE start >= ?'),
    breakers: db.prepare<[], BreakerRow>('SELECT * FROM cascade_health_breakers'),
    insert: db.prepare(
      `INSERT INTO cascade_health_breakers (key, record, state, probes_left, probe_ok, probe_errors, probe_delivered, probe_failed, version)
       VALUES (@key, @record, @state, @probes_left, @probe_ok, @probe_errors, @probe_delivered, @probe_failed, @version)
       ON CONFLICT (key) DO NOTHING`,
    ),
    update: db.prepare(
      `UPDATE cascade_health_breakers SET record = @record, state = @state, probes_left = @probes_left,
         probe_ok = @probe_ok, probe_errors = @probe_errors, probe_delivered = @probe_delivered,
         probe_failed = @probe_failed, version = @version
       WHERE key = @key AND version = @version - 1`,
    ),
    takeProbe: db.prepare(
      `UPDATE cascade_health_breakers SET probes_left = probes_left - 1
       WHERE key = ? AND state = 'half_open' AND probes_left > 0`,
    ),
    prune: db.prepare('DELETE FROM cascade_health_buckets WHERE start < ?'),
  };
}

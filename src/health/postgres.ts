/**
 * Provider health in the receipt index's PostgreSQL database (tables of its own), shared by every
 * host. Each method is one statement; a transition is an UPDATE … WHERE version = previous, so of
 * two hosts deciding the same change, one writes it (and logs it) and the other sees 0 rows.
 */
import type { Pool } from 'pg';
import { COLUMNS, fromRow, probeColumns, recordJson } from './sqlite';
import { HEALTH_COUNTS, type BreakerRecord, type HealthBucket, type HealthCounts, type HealthStore } from './types';

const NAMES = HEALTH_COUNTS.map((n) => COLUMNS[n]);

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cascade_health_buckets (
    key text NOT NULL,
    start bigint NOT NULL,
    ${NAMES.map((c) => `${c} integer NOT NULL DEFAULT 0`).join(',\n    ')},
    PRIMARY KEY (key, start)
  );
  CREATE INDEX IF NOT EXISTS cascade_health_buckets_start ON cascade_health_buckets (start);
  CREATE TABLE IF NOT EXISTS cascade_health_breakers (
    key text PRIMARY KEY,
    record jsonb NOT NULL,
    state text NOT NULL,
    probes_left integer NOT NULL DEFAULT 0,
    probe_ok integer NOT NULL DEFAULT 0,
    probe_errors integer NOT NULL DEFAULT 0,
    probe_delivered integer NOT NULL DEFAULT 0,
    probe_failed integer NOT NULL DEFAULT 0,
    version integer NOT NULL
  );`;

const RECORD = `
  WITH c AS (
    SELECT * FROM unnest($2::text[], ${NAMES.map((_, i) => `$${i + 3}::int[]`).join(', ')})
      AS c(key, ${NAMES.join(', ')})
    ORDER BY key
  ), b AS (
    INSERT INTO cascade_health_buckets AS b (key, start, ${NAMES.join(', ')})
    SELECT key, $1::bigint, ${NAMES.join(', ')} FROM c
    ON CONFLICT (key, start) DO UPDATE SET ${NAMES.map((n) => `${n} = b.${n} + excluded.${n}`).join(', ')}
  )
  UPDATE cascade_health_breakers h SET probe_ok = h.probe_ok + c.ok, probe_errors = h.probe_errors + c.errors,
    probe_delivered = h.probe_delivered + c.delivered, probe_failed = h.probe_failed + c.failed
  FROM c WHERE h.key = c.key AND h.state = 'half_open'`;

export class PostgresHealthStore implements HealthStore {
  private constructor(
    private readonly pool: Pool,
    private readonly endPoolOnClose: boolean,
  ) {}

  /** Creates the tables if missing; the pool stays the caller's unless `endPoolOnClose`. */
  static async open(pool: Pool, options: { endPoolOnClose?: boolean } = {}): Promise<PostgresHealthStore> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['temporal-cascade provider health']);
      await client.query(SCHEMA);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    return new PostgresHealthStore(pool, options.endPoolOnClose ?? false);
  }

  async record(bucketStart: number, counts: Map<string, HealthCounts>): Promise<void> {
    if (counts.size === 0) return;
    const entries = [...counts];
    await this.pool.query(RECORD, [
      bucketStart,
      entries.map(([key]) => key),
      ...HEALTH_COUNTS.map((name) => entries.map(([, c]) => c[name])),
    ]);
  }

  async buckets(from: number): Promise<HealthBucket[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      'SELECT * FROM cascade_health_buckets WHERE start >= $1',
      [from],
    );
    return rows.map((r) => {
      const b = { key: r.key as string, start: Number(r.start) } as HealthBucket;
      for (const name of HEALTH_COUNTS) b[name] = Number(r[COLUMNS[name]]);
      return b;
    });
  }

  async breakers(): Promise<BreakerRecord[]> {
    const { rows } = await this.pool
      .query(`SELECT key, record::text AS record, state, probes_left, probe_ok, probe_errors, probe_delivered, probe_failed,
         version FROM cascade_health_breakers`);
    return rows.map(fromRow);
  }

  async write(next: BreakerRecord): Promise<boolean> {
    const p = probeColumns(next);
    const values = [
      next.key,
      recordJson(next),
      next.state,
      next.probesLeft,
      p.probe_ok,
      p.probe_errors,
      p.probe_delivered,
      p.probe_failed,
      next.version,
    ];
    const { rowCount } = await this.pool.query(
      next.version === 1
        ? `INSERT INTO cascade_health_breakers
             (key, record, state, probes_left, probe_ok, probe_errors, probe_delivered, probe_failed, version)
           VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (key) DO NOTHING`
        : `UPDATE cascade_health_breakers SET record = $2::jsonb, state = $3, probes_left = $4, probe_ok = $5,
             probe_errors = $6, probe_delivered = $7, probe_failed = $8, version = $9
           WHERE key = $1 AND version = $9 - 1`,
      values,
    );
    return rowCount === 1;
  }

  async takeProbe(key: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE cascade_health_breakers SET probes_left = probes_left - 1
       WHERE key = $1 AND state = 'half_open' AND probes_left > 0`,
      [key],
    );
    return rowCount === 1;
  }

  async prune(before: number): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM cascade_health_buckets WHERE start < $1', [before]);
    return rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.endPoolOnClose) await this.pool.end();
  }
}

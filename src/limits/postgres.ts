/**
 * The limits in PostgreSQL (the receipt index's database, shared by every host). An admission is
 * one transaction: it takes a transaction-scoped advisory lock per key (in one order, so two
 * admissions cannot deadlock), reads the run, the blocks and every window's sums in one
 * statement, and writes counts, run and block in another. Admissions of disjoint keys run in
 * parallel; those of one prefix or country one after the other, a few milliseconds each.
 */
import type { Pool } from 'pg';
import { type LimitVerdict } from '../shared/types';
import { type AdmitRequest, type BlockRow, type FlowRow, type LimitBackend, type Sum, type SumQuery } from './types';

const EXPIRE_BATCH = 1000;

interface BlockJson {
  key: string;
  rule: BlockRow['rule'];
  reason: string;
  since: string;
  until: string | null;
  trips: number;
  monitor: boolean;
  expires_at: string;
}

export class PostgresLimitBackend implements LimitBackend {
  private readonly sql: ReturnType<typeof statements>;

  private constructor(
    private readonly pool: Pool,
    private readonly options: { prefix?: string; endPoolOnClose?: boolean },
  ) {
    this.sql = statements(tablePrefix(options.prefix ?? 'cascade_limit'));
  }

  /** Creates the tables if missing; the pool stays the caller's unless `endPoolOnClose`. */
  static async open(
    pool: Pool,
    options: { prefix?: string; endPoolOnClose?: boolean } = {},
  ): Promise<PostgresLimitBackend> {
    const backend = new PostgresLimitBackend(pool, options);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [backend.sql.lockName]);
      await client.query(backend.sql.schema);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    return backend;
  }

  async admit(request: AdmitRequest): Promise<LimitVerdict> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(this.sql.lock, [request.keys]);
      const { rows } = await client.query<{ verdict: LimitVerdict | null; blocks: BlockJson[]; sums: SumJson[] }>(
        this.sql.read,
        [request.flowKey, request.blockKeys, ...queryArrays(request.queries)],
      );
      const plan = request.decide({
        ...(rows[0].verdict && { flow: { flowKey: request.flowKey, verdict: rows[0].verdict } as FlowRow }),
        sums: rows[0].sums.map(fromSumJson),
        blocks: rows[0].blocks.map(fromBlockJson),
      });
      if ('existing' in plan) {
        await client.query('COMMIT');
        return plan.existing;
      }
      const f = plan.flow;
      await client.query(this.sql.write, [
        plan.increments.map((i) => i.key),
        plan.increments.map((i) => i.bucket),
        plan.increments.map((i) => i.expiresAt),
        f.flowKey,
        f.at,
        JSON.stringify(f.verdict),
        JSON.stringify(f.counted),
        f.expiresAt,
        JSON.stringify(plan.blocks.map(toBlockJson)),
      ]);
      await client.query('COMMIT');
      return f.verdict;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async convert(flowKey: string): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ counted: [string, number][] }>(this.sql.unverifiedRun, [flowKey]);
      if (rows.length === 0 || rows[0].counted.length === 0) {
        await client.query('COMMIT');
        return false;
      }
      // The admissions' locks, in their order: a conversion never holds a counter row an admission waits for.
      await client.query(this.sql.lock, [[...new Set(rows[0].counted.map(([key]) => key))]]);
      await client.query(this.sql.convert, [flowKey]);
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async putBlock(row: BlockRow): Promise<void> {
    await this.pool.query(this.sql.putBlocks, [JSON.stringify([toBlockJson(row)])]);
  }

  async getBlocks(keys?: string[]): Promise<BlockRow[]> {
    const { rows } = await this.pool.query<BlockJson>(this.sql.blocks, [keys ?? null]);
    return rows.map(fromBlockJson);
  }

  async sums(queries: SumQuery[]): Promise<Sum[]> {
    if (queries.length === 0) return [];
    const { rows } = await this.pool.query<{ sums: SumJson[] }>(this.sql.sums, queryArrays(queries));
    return rows[0].sums.map(fromSumJson);
  }

  async expire(now: number): Promise<number> {
    let removed = 0;
    for (const statement of [this.sql.expireCounts, this.sql.expireRuns, this.sql.expireBlocks]) {
      for (;;) {
        const { rowCount } = await this.pool.query(statement, [now, EXPIRE_BATCH]);
        removed += rowCount ?? 0;
        if ((rowCount ?? 0) < EXPIRE_BATCH) break;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.options.endPoolOnClose) await this.pool.end();
  }
}

interface SumJson {
  started: string | number;
  verified: string | number;
  oldest: string | number | null;
}

function queryArrays(queries: SumQuery[]): unknown[] {
  return [
    queries.map((q) => q.key),
    queries.map((q) => q.from),
    queries.map((q) => q.to),
    queries.map((q) => q.afterBlockOf ?? null),
  ];
}

const fromSumJson = (s: SumJson): Sum => ({
  started: Number(s.started),
  verified: Number(s.verified),
  ...(s.oldest !== null && { oldest: Number(s.oldest) }),
});

const toBlockJson = (b: BlockRow): BlockJson => ({
  key: b.key,
  rule: b.rule,
  reason: b.reason,
  since: String(b.since),
  until: b.until === null ? null : String(b.until),
  trips: b.trips,
  monitor: b.monitor,
  expires_at: String(Math.min(b.expiresAt, Number.MAX_SAFE_INTEGER)),
});

const fromBlockJson = (b: BlockJson): BlockRow => ({
  key: b.key,
  rule: b.rule,
  reason: b.reason,
  since: Number(b.since),
  until: b.until === null ? null : Number(b.until),
  trips: b.trips,
  monitor: b.monitor,
  expiresAt: Number(b.expires_at),
});

function tablePrefix(name: string): string {
  // Interpolated into SQL (identifiers cannot be parameters), so only plain names pass.
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(name)) {
    throw new RangeError(`limit store table prefix must match [a-z_][a-z0-9_]{0,40}, got ${JSON.stringify(name)}`);
  }
  return name;
}

function statements(prefix: string) {
  const counts = `"${prefix}_counts"`;
  const runs = `"${prefix}_runs"`;
  const blocks = `"${prefix}_blocks"`;
  // $n..$n+3: the windows as arrays (key, from, to, afterBlockOf); one sum per window, in order.
  const sumsOf = (n: number) => `
    (SELECT coalesce(json_agg(json_build_object('started', s.started, 'verified', s.verified, 'oldest', s.oldest)
                                ORDER BY s.n), '[]')
       FROM (SELECT q.n, coalesce(sum(c.started), 0) AS started, coalesce(sum(c.verified), 0) AS verified,
                    min(c.bucket) FILTER (WHERE c.started > 0) AS oldest
               FROM unnest($${n}::text[], $${n + 1}::bigint[], $${n + 2}::bigint[], $${n + 3}::text[])
                      WITH ORDINALITY AS q(key, lo, hi, after_block_of, n)
               LEFT JOIN ${blocks} b ON b.key = q.after_block_of
               LEFT JOIN ${counts} c ON c.key = q.key AND c.bucket < q.hi
                     AND c.bucket >= greatest(q.lo, coalesce(b.until, 0))
              GROUP BY q.n) s)`;
  return {
    lockName: `temporal-cascade limit store ${prefix}`,
    schema: `
      CREATE TABLE IF NOT EXISTS ${counts} (
        key text NOT NULL,
        bucket bigint NOT NULL, -- epoch ms of the bucket's start
        started integer NOT NULL DEFAULT 0,
        verified integer NOT NULL DEFAULT 0,
        expires_at bigint NOT NULL,
        PRIMARY KEY (key, bucket)
      );
      CREATE INDEX IF NOT EXISTS "${prefix}_counts_expiry" ON ${counts} (expires_at);
      CREATE TABLE IF NOT EXISTS ${runs} (
        flow_key text PRIMARY KEY, -- workflow id / run id
        at bigint NOT NULL,
        verdict jsonb NOT NULL,
        counted jsonb NOT NULL, -- [[key, bucket], …]
        verified boolean NOT NULL DEFAULT false,
        expires_at bigint NOT NULL
      );
      CREATE INDEX IF NOT EXISTS "${prefix}_runs_expiry" ON ${runs} (expires_at);
      CREATE TABLE IF NOT EXISTS ${blocks} (
        key text PRIMARY KEY,
        rule text NOT NULL,
        reason text NOT NULL,
        since bigint NOT NULL,
        until bigint, -- null: until an operator lifts it
        trips integer NOT NULL,
        monitor boolean NOT NULL,
        expires_at bigint NOT NULL
      );`,
    // Sorted by the lock's own number, so every admission takes its locks in one order.
    lock: `
      SELECT pg_advisory_xact_lock(h) FROM
        (SELECT DISTINCT hashtextextended('${prefix}:' || k, 0) AS h FROM unnest($1::text[]) k ORDER BY 1 OFFSET 0) l`,
    read: `
      SELECT (SELECT verdict FROM ${runs} WHERE flow_key = $1) AS verdict,
             (SELECT coalesce(json_agg(row_to_json(b)), '[]') FROM ${blocks} b WHERE b.key = ANY($2::text[])) AS blocks,
             ${sumsOf(3)} AS sums`,
    sums: `SELECT ${sumsOf(1)} AS sums`,
    // $1..$3 increments, $4..$8 the run, $9 blocks (JSON).
    write: `
      WITH inc AS (
        INSERT INTO ${counts} AS c (key, bucket, started, expires_at)
        SELECT i.key, i.bucket, 1, i.expires_at FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS i(key, bucket, expires_at)
        ON CONFLICT (key, bucket) DO UPDATE SET started = c.started + 1
        RETURNING 1),
      run AS (
        INSERT INTO ${runs} (flow_key, at, verdict, counted, expires_at) VALUES ($4, $5, $6::jsonb, $7::jsonb, $8)
        RETURNING 1),
      blk AS (
        INSERT INTO ${blocks} SELECT * FROM json_populate_recordset(NULL::${blocks}, $9::json)
        ON CONFLICT (key) DO UPDATE SET rule = excluded.rule, reason = excluded.reason, since = excluded.since,
          until = excluded.until, trips = excluded.trips, monitor = excluded.monitor, expires_at = excluded.expires_at
        RETURNING 1)
      SELECT (SELECT count(*) FROM inc) + (SELECT count(*) FROM run) + (SELECT count(*) FROM blk) AS n`,
    putBlocks: `
      INSERT INTO ${blocks} SELECT * FROM json_populate_recordset(NULL::${blocks}, $1::json)
      ON CONFLICT (key) DO UPDATE SET rule = excluded.rule, reason = excluded.reason, since = excluded.since,
        until = excluded.until, trips = excluded.trips, monitor = excluded.monitor, expires_at = excluded.expires_at`,
    blocks: `SELECT * FROM ${blocks} WHERE $1::text[] IS NULL OR key = ANY($1::text[])`,
    unverifiedRun: `
      SELECT counted FROM ${runs} WHERE flow_key = $1 AND NOT verified AND jsonb_array_length(counted) > 0 FOR UPDATE`,
    // The run is marked once (its row lock orders two converts of one run); its buckets counted once.
    convert: `
      WITH f AS (
        UPDATE ${runs} SET verified = true WHERE flow_key = $1 AND NOT verified AND jsonb_array_length(counted) > 0
        RETURNING counted),
      up AS (
        UPDATE ${counts} c SET verified = c.verified + 1
          FROM f, jsonb_array_elements(f.counted) e
         WHERE c.key = e->>0 AND c.bucket = (e->>1)::bigint
        RETURNING 1)
      SELECT EXISTS (SELECT 1 FROM f) AS converted, (SELECT count(*) FROM up) AS n`,
    expireCounts: `
      DELETE FROM ${counts} WHERE (key, bucket) IN
        (SELECT key, bucket FROM ${counts} WHERE expires_at <= $1::bigint LIMIT $2::int FOR UPDATE SKIP LOCKED)`,
    expireRuns: `
      DELETE FROM ${runs} WHERE flow_key IN
        (SELECT flow_key FROM ${runs} WHERE expires_at <= $1::bigint LIMIT $2::int FOR UPDATE SKIP LOCKED)`,
    expireBlocks: `
      DELETE FROM ${blocks} WHERE key IN
        (SELECT key FROM ${blocks} WHERE expires_at <= $1::bigint LIMIT $2::int FOR UPDATE SKIP LOCKED)`,
  };
}

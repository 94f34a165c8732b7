import {
  closedRecord,
  emptyCounts,
  HEALTH_COUNTS,
  type BreakerRecord,
  type HealthBucket,
  type HealthCounts,
} from './types';

/**
 * When a breaker opens, how long it stays open, how it probes. The defaults are chosen so that
 * ordinary noise (a few percent of 5xx and failed receipts) never opens one, a single flow's
 * retries never open one (the error rule counts first attempts, one per flow), and an outage
 * opens one after a handful of flows.
 */
export interface HealthPolicy {
  /** The window the rules look at, ms. */
  windowMs: number;
  /** Bucket size, ms: counts are aggregated per bucket (one row per key and bucket). */
  bucketMs: number;
  /** Error rule: at least this many flows' first send attempts in the window… */
  minFlows: number;
  /** …and at least this share of them failed with a provider error. */
  errorRate: number;
  /** Receipt rules: at least this many receipts (failed rule) or pushed sends due (silent rule). */
  minReceipts: number;
  /** Failed rule: share of receipts that are failures. */
  failedRate: number;
  /**
   * Silent rule: a pushed receipt is due this long after its send (the provider's normal time to
   * deliver, with margin); the breaker opens when fewer than `silentRate` of the receipts due came.
   */
  receiptDueMs: number;
  silentRate: number;
  /** Open → half-open after this long, ms. */
  cooldownMs: number;
  /** Half-open: flows that may probe (the rest still skip the step). */
  probes: number;
  /** Half-open → closed after this many delivered receipts (or accepted sends, when it opened on errors). */
  closeAfter: number;
  /** Half-open → open again when the probes settle nothing in this long, ms. */
  probeTimeoutMs: number;
  /** How long a process trusts the states it read, ms (other processes' changes show after this). */
  cacheMs: number;
  /** How often a process writes its counts and re-evaluates the breakers, ms. */
  flushMs: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = {
  windowMs: 60_000,
  bucketMs: 5_000,
  minFlows: 10,
  errorRate: 0.5,
  minReceipts: 10,
  failedRate: 0.5,
  receiptDueMs: 30_000,
  silentRate: 0.2,
  cooldownMs: 30_000,
  probes: 3,
  closeAfter: 2,
  probeTimeoutMs: 60_000,
  cacheMs: 1_000,
  flushMs: 1_000,
};

export function resolvePolicy(policy: Partial<HealthPolicy> = {}): HealthPolicy {
  const resolved = { ...DEFAULT_HEALTH_POLICY };
  for (const name of Object.keys(resolved) as (keyof HealthPolicy)[]) {
    const value = policy[name];
    if (value === undefined) continue;
    const isRate = name === 'errorRate' || name === 'failedRate' || name === 'silentRate';
    if (!Number.isFinite(value) || value <= 0 || (isRate && value > 1) || (!isRate && !Number.isInteger(value))) {
      throw new RangeError(
        `provider health policy ${name} must be ${isRate ? 'a share in (0, 1]' : 'a positive integer'}, got ${value}`,
      );
    }
    resolved[name] = value;
  }
  return resolved;
}

/** A state change: the record to write and one line saying why. */
export interface Transition {
  next: BreakerRecord;
  from: BreakerRecord['state'];
}

function sum(buckets: HealthBucket[], from: number, to = Infinity): HealthCounts {
  const total = emptyCounts();
  for (const b of buckets) {
    if (b.start < from || b.start >= to) continue;
    for (const c of HEALTH_COUNTS) total[c] += b[c];
  }
  return total;
}

const pct = (n: number, d: number) => `${Math.round((100 * n) / Math.max(1, d))} %`;

/**
 * The breaker's next state for one key, or undefined when it stays. Pure: the same inputs give the
 * same answer in every process, and only the process whose write lands logs it.
 */
export function evaluate(
  record: BreakerRecord,
  buckets: HealthBucket[],
  now: number,
  policy: HealthPolicy,
): Transition | undefined {
  if (record.mode !== 'auto') return undefined;
  const change = (patch: Partial<BreakerRecord>): Transition => ({
    from: record.state,
    next: {
      ...closedRecord(record.key, now),
      mode: record.mode,
      ...patch,
      version: record.version + 1,
    },
  });
  const open = (cause: BreakerRecord['cause'], reason: string) =>
    change({ state: 'open', cause, reason, retryAt: now + policy.cooldownMs });

  if (record.state === 'open') {
    if (now < (record.retryAt ?? 0)) return undefined;
    return change({
      state: 'half_open',
      cause: record.cause,
      reason: record.reason,
      probesLeft: policy.probes,
    });
  }

  if (record.state === 'half_open') {
    const p = record.probe;
    if (p.errors > 0) return open(record.cause, `a probe failed to send (${p.errors} errors)`);
    if (p.failed > 0 && p.failed >= p.delivered)
      return open(record.cause, `probes failed (${p.failed} failed receipts)`);
    const enough = p.delivered >= policy.closeAfter || (record.cause === 'errors' && p.ok >= policy.closeAfter);
    if (enough) return change({ state: 'closed', reason: `probes succeeded (${p.ok} sent, ${p.delivered} delivered)` });
    if (now - record.since >= policy.probeTimeoutMs) {
      return open(record.cause, `probes settled nothing in ${Math.round(policy.probeTimeoutMs / 1000)} s`);
    }
    return undefined;
  }

  // Closed: only what happened since the last change counts (a recovered provider starts afresh);
  // counts written after a change go to a bucket that starts at the change (see ProviderHealth.flush).
  const since = record.since;
  const from = Math.max(now - policy.windowMs, since);
  const seen = sum(buckets, from);
  if (seen.firstTries >= policy.minFlows && seen.firstErrors / seen.firstTries >= policy.errorRate) {
    return open(
      'errors',
      `${pct(seen.firstErrors, seen.firstTries)} of ${seen.firstTries} flows' sends failed (${seen.errors} errors in ${seen.attempts} attempts)`,
    );
  }
  const settled = seen.delivered + seen.failed;
  if (settled >= policy.minReceipts && seen.failed / settled >= policy.failedRate) {
    return open('failed', `${pct(seen.failed, settled)} of ${settled} receipts failed`);
  }
  // Receipts due: sends pushed at least receiptDueMs ago. Receipts that came for younger sends
  // count too, which only ever makes the rule more lenient.
  const dueFrom = Math.max(now - policy.windowMs - policy.receiptDueMs, since);
  const due = sum(buckets, dueFrom, now - policy.receiptDueMs).expected;
  const came = sum(buckets, dueFrom);
  const receipts = came.delivered + came.failed;
  if (due >= policy.minReceipts && receipts / due < policy.silentRate) {
    return open(
      'silent',
      `${receipts} receipts for ${due} sends due within ${Math.round(policy.receiptDueMs / 1000)} s`,
    );
  }
  return undefined;
}

/** What a send of a step does under the breakers of its keys (general first). */
export type Verdict =
  | { kind: 'send' }
  | { kind: 'probe'; key: string }
  | { kind: 'skip'; key: string; record: BreakerRecord; forced: boolean };

export function verdict(keys: string[], records: Map<string, BreakerRecord>, now: number): Verdict {
  // An operator's choice on a key rules it and the keys under it.
  for (const key of keys) {
    const r = records.get(key);
    if (r?.mode === 'closed') return { kind: 'send' };
    if (r?.mode === 'open') return { kind: 'skip', key, record: r, forced: true };
  }
  let probe: string | undefined;
  for (const key of keys) {
    const r = records.get(key);
    if (!r || r.state === 'closed') continue;
    if (r.state === 'open' && now < (r.retryAt ?? 0)) return { kind: 'skip', key, record: r, forced: false };
    probe ??= key;
  }
  return probe === undefined ? { kind: 'send' } : { kind: 'probe', key: probe };
}

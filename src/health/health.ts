import { type DeliveryState, type ProviderName } from '../shared/delivery-status';
import { evaluate, resolvePolicy, verdict, type HealthPolicy, type Transition } from './policy';
import { providerOf } from './keys';
import {
  closedRecord,
  emptyCounts,
  type BreakerMode,
  type BreakerRecord,
  type BreakerState,
  type HealthCounts,
  type HealthStore,
} from './types';

export interface ProviderHealthOptions {
  policy?: Partial<HealthPolicy>;
  /** Epoch ms (tests move it instead of sleeping). */
  now?: () => number;
  /** One structured line per state change this process made (each change is made by one process). */
  log?: (entry: Record<string, unknown>) => void;
  /** Write counts and re-evaluate every `policy.flushMs` on a timer (default true; tests call flush()). */
  autoFlush?: boolean;
  /**
   * Whether a receiver counts its receipts where this health reads them (default true). False for
   * health no receiver shares (a worker's own memory): pushed sends then expect no receipt, so the
   * silent rule cannot take receipts that go elsewhere for a provider gone quiet.
   */
  hearsReceipts?: boolean;
}

/** What a send does: go ahead (a probe of a half-open key, perhaps), or skip the step. */
export type HealthDecision =
  | { send: true; probe?: string }
  | { send: false; key: string; state: BreakerState; since: number; reason: string; forced: boolean };

/** One key as `provider status` shows it. */
export interface ProviderHealthStatus {
  key: string;
  state: BreakerState;
  mode: BreakerMode;
  since?: string;
  reason?: string;
  retryAt?: string;
  /** Over the policy's window: flows' first sends, errors among them, receipts, failed receipts. */
  recent: { flows: number; errorRate?: number; receipts: number; failedRate?: number; pushedSends: number };
}

/** Counters for the metrics endpoint: state changes and skipped steps since this process started. */
export interface HealthMetrics {
  /** `key from→to` → changes this process made. */
  stateChanges: Record<string, number>;
  /** Provider → steps skipped by this process. */
  skippedSteps: Record<string, number>;
  /** Provider → probes this process let through. */
  probes: Record<string, number>;
}

/**
 * The shared health of the providers, as one process sees it. The hot path costs no I/O: outcomes
 * are counted in memory and written per key and bucket every `flushMs`; states are read at most
 * every `cacheMs`. Only skipping decisions (and taking a probe) reach the store on their own.
 */
export class ProviderHealth {
  readonly policy: HealthPolicy;
  private readonly now: () => number;
  private readonly log: (entry: Record<string, unknown>) => void;
  private pending = new Map<string, HealthCounts>();
  private cache?: { at: number; records: Map<string, BreakerRecord> };
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private lastPrune = 0;
  private readonly counters: HealthMetrics = { stateChanges: {}, skippedSteps: {}, probes: {} };
  private readonly hearsReceipts: boolean;

  constructor(
    readonly store: HealthStore,
    options: ProviderHealthOptions = {},
  ) {
    this.policy = resolvePolicy(options.policy);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((entry) => console.log(JSON.stringify(entry)));
    this.hearsReceipts = options.hearsReceipts ?? true;
    if (options.autoFlush ?? true) {
      this.timer = setInterval(() => void this.flush().catch(() => undefined), this.policy.flushMs);
      this.timer.unref();
    }
  }

  // ---- what workers and the receiver see ------------------------------------------------------

  /** A send attempt's outcome on each of its keys; `pushed`: its receipt will come to the receiver. */
  sendOutcome(keys: string[], attempt: number, outcome: 'ok' | 'error', pushed = false): void {
    for (const key of keys) {
      const c = this.counts(key);
      c.attempts++;
      if (attempt === 1) c.firstTries++;
      if (outcome === 'error') {
        c.errors++;
        if (attempt === 1) c.firstErrors++;
      } else c.ok++;
    }
    // Receipts name only the provider, so receipts due count on the provider's key.
    if (outcome === 'ok' && pushed && this.hearsReceipts && keys.length > 0) this.counts(keys[0]).expected++;
  }

  /** A settled receipt, seen once (the receiver's first handling of it, or a receipt a send found parked). */
  receipt(provider: ProviderName, state: DeliveryState): void {
    if (state === 'delivered') this.counts(provider).delivered++;
    else if (state === 'failed') this.counts(provider).failed++;
  }

  private counts(key: string): HealthCounts {
    let c = this.pending.get(key);
    if (!c) this.pending.set(key, (c = emptyCounts()));
    return c;
  }

  // ---- what a send does -----------------------------------------------------------------------

  /**
   * Whether a step with these keys may send. `skippable: false` (the last step of a chain) always
   * sends: a flow is never left without a step for health alone.
   */
  async decide(keys: string[], skippable: boolean): Promise<HealthDecision> {
    if (!skippable) return { send: true };
    const now = this.now();
    const records = await this.records();
    const v = verdict(keys, records, now);
    if (v.kind === 'send') return { send: true };
    if (v.kind === 'skip') return this.skip(v.key, v.record, v.forced);
    let record = records.get(v.key)!;
    if (record.state === 'open') {
      // Its cooldown is over: the first process to see it makes it half-open.
      const t = evaluate(record, [], now, this.policy);
      if (t) await this.apply(t);
      record = (await this.records(true)).get(v.key) ?? record;
    }
    if (await this.store.takeProbe(v.key)) {
      bump(this.counters.probes, providerOf(v.key));
      return { send: true, probe: v.key };
    }
    return this.skip(v.key, record, false);
  }

  private skip(key: string, record: BreakerRecord, forced: boolean): HealthDecision {
    bump(this.counters.skippedSteps, providerOf(key));
    return {
      send: false,
      key,
      state: record.state,
      since: record.since,
      reason: forced ? 'forced open by an operator' : (record.reason ?? record.state),
      forced,
    };
  }

  private async records(fresh = false): Promise<Map<string, BreakerRecord>> {
    const now = this.now();
    if (!fresh && this.cache && now - this.cache.at < this.policy.cacheMs) return this.cache.records;
    const records = new Map((await this.store.breakers()).map((r) => [r.key, r]));
    this.cache = { at: now, records };
    return records;
  }

  // ---- aggregation ----------------------------------------------------------------------------

  /** Writes what was counted since the last flush and re-evaluates every breaker. */
  flush(): Promise<void> {
    // One flush at a time: a slow database must not pile flushes up.
    this.flushing ??= this.flushNow().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    const now = this.now();
    const counts = this.pending;
    // Nothing seen and nothing read yet: a process that never sends need not touch the database.
    if (counts.size === 0 && !this.cache) return;
    this.pending = new Map();
    if (counts.size > 0) {
      const { bucketMs } = this.policy;
      try {
        // A key whose state changed during this bucket starts a bucket of its own at the change, so
        // its fresh window holds only what came after it.
        const records = await this.records(true);
        const byStart = new Map<number, Map<string, HealthCounts>>();
        for (const [key, c] of counts) {
          const since = Math.min(records.get(key)?.since ?? 0, now);
          const start = Math.max(Math.floor(now / bucketMs) * bucketMs, since);
          if (!byStart.has(start)) byStart.set(start, new Map());
          byStart.get(start)!.set(key, c);
        }
        for (const [start, group] of byStart) await this.store.record(start, group);
      } catch (err) {
        // Counts are best effort: the next flush carries on; a send never waits on them.
        this.log({ event: 'provider_health_write_failed', error: (err as Error).message });
      }
    }
    await this.reevaluate(now);
    if (now - this.lastPrune >= this.policy.windowMs) {
      this.lastPrune = now;
      const { windowMs, receiptDueMs, bucketMs } = this.policy;
      await this.store.prune(now - windowMs - receiptDueMs - 2 * bucketMs);
    }
  }

  private async reevaluate(now: number): Promise<void> {
    const { windowMs, receiptDueMs, bucketMs } = this.policy;
    const buckets = await this.store.buckets(now - windowMs - receiptDueMs - bucketMs);
    const records = await this.records(true);
    const keys = new Set([...records.keys(), ...buckets.map((b) => b.key)]);
    let changed = false;
    for (const key of keys) {
      const record = records.get(key) ?? closedRecord(key);
      const t = evaluate(
        record,
        buckets.filter((b) => b.key === key),
        now,
        this.policy,
      );
      if (t) changed = (await this.apply(t)) || changed;
    }
    if (changed) await this.records(true);
  }

  /** Writes a transition; the process whose write lands logs and counts it. */
  private async apply(t: Transition): Promise<boolean> {
    if (!(await this.store.write(t.next))) return false;
    const { key, state, reason, cause, mode } = t.next;
    bump(this.counters.stateChanges, `${key} ${t.from}→${state}`);
    this.log({ event: 'provider_health', key, from: t.from, to: state, mode, cause, reason });
    return true;
  }

  // ---- operators ------------------------------------------------------------------------------

  /** Every key with a record or recent traffic: its state, why and since when, recent rates. */
  async status(): Promise<ProviderHealthStatus[]> {
    const now = this.now();
    const buckets = await this.store.buckets(now - this.policy.windowMs);
    const records = await this.records(true);
    const keys = [...new Set([...records.keys(), ...buckets.map((b) => b.key)])].sort();
    return keys.map((key) => {
      const r = records.get(key) ?? closedRecord(key);
      const c = emptyCounts();
      for (const b of buckets)
        if (b.key === key) for (const n of Object.keys(c) as (keyof HealthCounts)[]) c[n] += b[n];
      const receipts = c.delivered + c.failed;
      return {
        key,
        state: r.state,
        mode: r.mode,
        ...(r.version > 0 && { since: new Date(r.since).toISOString() }),
        ...(r.reason && { reason: r.reason }),
        ...(r.state === 'open' && r.retryAt && { retryAt: new Date(r.retryAt).toISOString() }),
        recent: {
          flows: c.firstTries,
          ...(c.firstTries > 0 && { errorRate: round(c.firstErrors / c.firstTries) }),
          receipts,
          ...(receipts > 0 && { failedRate: round(c.failed / receipts) }),
          pushedSends: c.expected,
        },
      };
    });
  }

  /**
   * Forces a key's state (`open`, `closed`) until `auto` hands it back to the breaker, which then
   * starts closed with a fresh window. Applies to the key and every key under it (`smsbat` covers
   * `smsbat/standard/+380`).
   */
  async force(key: string, mode: BreakerMode, by = 'operator'): Promise<BreakerRecord> {
    if (!/^(smsbat|reach|email)(\/[A-Za-z0-9+_-]+){0,2}$/.test(key)) {
      throw new RangeError(
        `unknown provider health key ${JSON.stringify(key)}: use smsbat, smsbat/standard, reach, email …`,
      );
    }
    for (let i = 0; i < 10; i++) {
      const current = (await this.records(true)).get(key) ?? closedRecord(key);
      const now = this.now();
      const next: BreakerRecord = {
        ...closedRecord(key, now),
        mode,
        state: mode === 'open' ? 'open' : 'closed',
        cause: mode === 'auto' ? undefined : 'operator',
        reason: mode === 'auto' ? `handed back to the breaker by ${by}` : `forced ${mode} by ${by}`,
        version: current.version + 1,
      };
      if (await this.apply({ from: current.state, next })) {
        await this.records(true);
        return next;
      }
    }
    throw new Error(`could not change ${key}: other processes kept changing it`);
  }

  metrics(): HealthMetrics {
    return {
      stateChanges: { ...this.counters.stateChanges },
      skippedSteps: { ...this.counters.skippedSteps },
      probes: { ...this.counters.probes },
    };
  }

  /** Writes what is pending, stops the timer and closes the store. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => undefined);
    await this.store.close();
  }
}

function bump(counter: Record<string, number>, name: string): void {
  counter[name] = (counter[name] ?? 0) + 1;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

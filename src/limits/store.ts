import { resolvePolicy, type GuardKind, type GuardState, type LimitPolicy } from '../shared/limits';
import { countryCode } from '../metrics/labels';
import { type LimitVerdict } from '../shared/types';
import {
  FINE_BUCKET_MS,
  HOUR_BUCKET_MS,
  type AdmitPlan,
  type AdmitRequest,
  type BlockRow,
  type LimitBackend,
  type Snapshot,
  type SumQuery,
} from './types';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Who an OTP run goes to, as the limits count it (see limits/keys.ts). */
export interface AdmitSubject {
  /** workflow id + run id: a start that reuses an id is a new flow. */
  flowKey: string;
  /** Keyed digests of the normalised phone and email. */
  recipientKeys: string[];
  phone?: { prefix: string; country: string };
}

type Refusal = Extract<LimitVerdict, { allowed: false }>;

/** Blocks in force of one scope and mode (see LimitStore.activeBlocks). */
export interface ActiveBlocks {
  scope: GuardKind;
  mode: 'enforce' | 'monitor';
  count: number;
}

export const prefixKey = (prefix: string) => `p:${prefix}`;
export const countryKey = (country: string) => `c:${country}`;
export const recipientKey = (digest: string) => `r:${digest}`;
const scopeOfKey = (key: string): GuardKind =>
  key.startsWith('c:') ? 'country' : key.startsWith('r:') ? 'recipient' : 'prefix';
const hourly = (key: string) => `${key}@h`;
const floorTo = (t: number, width: number) => Math.floor(t / width) * width;

/**
 * The OTP abuse limits over a LimitBackend: every admission is one transaction that reads the
 * counters of the run's keys (recipients, country, prefix), decides, and counts the run if it is
 * allowed. Nothing runs per recipient: rows expire by themselves.
 */
export class LimitStore {
  readonly policy: ReturnType<typeof resolvePolicy>;
  private lastExpire = 0;

  constructor(
    readonly backend: LimitBackend,
    policy: LimitPolicy,
    private readonly now: () => number = Date.now,
  ) {
    this.policy = resolvePolicy(policy);
  }

  /** Whether this run may send; asked again for the same run, the same answer (counted once). */
  async admit(subject: AdmitSubject, options: { waitedMs?: number } = {}): Promise<LimitVerdict> {
    const now = this.now();
    this.expireNowAndThen(now);
    return this.backend.admit(this.request(subject, options, now));
  }

  /**
   * What this store's policy would answer the next start to a phone of this prefix now: its block,
   * its hourly volume, the pumping rules, its country's ceiling (a recipient's own quota depends on
   * who it is, so it is not judged). Reads only: nothing is counted, no block is written (a trip
   * shows as the refusal it would be).
   */
  async preview(prefix: string): Promise<LimitVerdict> {
    // A prefix too short to name its country is judged without the country's ceiling (an empty key counts nothing).
    const country = countryCode({ phone: prefix });
    const phone = { prefix, country: country === 'none' ? '' : `+${country}` };
    const request = this.request({ flowKey: '', recipientKeys: [], phone }, {}, this.now());
    const [sums, blocks] = await Promise.all([
      this.backend.sums(request.queries),
      this.backend.getBlocks(request.blockKeys),
    ]);
    const plan = request.decide({ sums, blocks });
    return 'existing' in plan ? plan.existing : plan.flow.verdict;
  }

  /** One admission's reads and its decision over them, for the backend to run in one transaction. */
  private request(subject: AdmitSubject, options: { waitedMs?: number }, now: number): AdmitRequest {
    const pol = this.policy;
    const r = subject.recipientKeys.map(recipientKey);
    const c = subject.phone && countryKey(subject.phone.country);
    const p = subject.phone && prefixKey(subject.phone.prefix);
    const fineNow = floorTo(now, FINE_BUCKET_MS);
    const to = fineNow + FINE_BUCKET_MS;
    const queries: SumQuery[] = [];
    // A window takes every bucket that overlaps it (a sliding window at bucket resolution).
    const ask = (q: SumQuery) => queries.push({ ...q, from: q.from - FINE_BUCKET_MS + 1 }) - 1;
    const rq = r.map((key) => ({ hour: ask({ key, from: now - HOUR, to }), day: ask({ key, from: now - DAY, to }) }));
    const cq = c ? ask({ key: c, from: now - HOUR, to }) : undefined;
    const pq = p
      ? {
          hour: ask({ key: p, from: now - HOUR, to }),
          burst: ask({ key: p, from: now - pol.burst.windowMs, to, afterBlockOf: p }),
          settled: ask({
            key: p,
            from: now - pol.conversion.windowMs,
            to: floorTo(now - pol.conversion.settleAfterMs, FINE_BUCKET_MS),
            afterBlockOf: p,
          }),
          // Codes started after the settle point that were verified already count as settled too.
          young: ask({
            key: p,
            from: floorTo(now - pol.conversion.settleAfterMs, FINE_BUCKET_MS),
            to,
            afterBlockOf: p,
          }),
          baseline:
            queries.push({
              key: hourly(p),
              from: floorTo(now, HOUR_BUCKET_MS) - DAY,
              to: floorTo(now, HOUR_BUCKET_MS),
            }) - 1,
        }
      : undefined;

    const decide = (s: Snapshot): AdmitPlan | { existing: LimitVerdict } => {
      if (s.flow) return { existing: s.flow.verdict };
      const blocks: BlockRow[] = [];
      // The caller gave up waiting for this run's answer (guard_unavailable): the run must not send.
      const stale = !pol.failOpen && (options.waitedMs ?? 0) > pol.guardTimeoutMs;
      let monitorBlock = false;
      const refusal = ((): Refusal | undefined => {
        if (stale) return { allowed: false, scope: 'recipient', reason: 'guard_unavailable' };
        for (const q of rq) {
          const hour = s.sums[q.hour];
          if (hour.started >= pol.perRecipientHour) {
            return refuse('recipient', `more than ${pol.perRecipientHour} codes in an hour`, hour.oldest, HOUR, now);
          }
          const day = s.sums[q.day];
          if (day.started >= pol.perRecipientDay) {
            return refuse('recipient', `more than ${pol.perRecipientDay} codes in a day`, day.oldest, DAY, now);
          }
        }
        if (cq !== undefined) {
          const hour = s.sums[cq];
          if (hour.started >= pol.perCountryHour) {
            return refuse(
              'country',
              `more than ${pol.perCountryHour} codes to this country in an hour`,
              hour.oldest,
              HOUR,
              now,
            );
          }
        }
        if (!p || !pq) return undefined;
        const block = s.blocks.find((b) => b.key === p);
        if (block && (block.until === null || block.until > now)) {
          if (!block.monitor) return blockedRefusal(block, now);
          monitorBlock = true;
          return blockedRefusal(block, now);
        }
        const hour = s.sums[pq.hour];
        if (hour.started >= pol.perPrefixHour) {
          return refuse(
            'prefix',
            `more than ${pol.perPrefixHour} codes to this prefix in an hour`,
            hour.oldest,
            HOUR,
            now,
          );
        }
        const trip = this.pumping(s, pq);
        if (!trip) return undefined;
        const trips = block && now - (block.until ?? now) < pol.tripMemoryMs ? block.trips + 1 : 1;
        const duration = pol.blockSchedule[Math.min(trips, pol.blockSchedule.length) - 1];
        const row: BlockRow = {
          key: p,
          rule: trip.rule,
          reason: trip.reason,
          since: now,
          until: now + duration,
          trips,
          monitor: pol.mode === 'monitor',
          expiresAt: now + duration + pol.tripMemoryMs,
        };
        blocks.push(row);
        return blockedRefusal(row, now);
      })();
      const monitored = refusal && !stale && (pol.mode === 'monitor' || monitorBlock);
      const verdict: LimitVerdict = !refusal
        ? { allowed: true }
        : monitored
          ? { allowed: true, monitor: { scope: refusal.scope, reason: refusal.reason } }
          : refusal;
      const increments: AdmitPlan['increments'] = [];
      if (verdict.allowed) {
        for (const key of r) increments.push({ key, bucket: fineNow, expiresAt: fineNow + DAY + HOUR });
        for (const key of [c, p].filter((k): k is string => Boolean(k))) {
          increments.push({ key, bucket: fineNow, expiresAt: fineNow + 2 * HOUR });
        }
        if (p) {
          const h = floorTo(now, HOUR_BUCKET_MS);
          increments.push({ key: hourly(p), bucket: h, expiresAt: h + DAY + 2 * HOUR });
        }
      }
      return {
        flow: {
          flowKey: subject.flowKey,
          at: now,
          verdict,
          counted: increments.map((i) => [i.key, i.bucket]),
          verified: false,
          expiresAt: now + DAY + HOUR,
        },
        increments,
        blocks,
      };
    };

    const keys = [...new Set([...r, c, p].filter((k): k is string => Boolean(k)))].sort();
    return { flowKey: subject.flowKey, keys, queries, blockKeys: p ? [p] : [], decide };
  }

  /** A code of this run was verified: what tells real users from pumping. */
  async convert(flowKey: string): Promise<boolean> {
    return this.backend.convert(flowKey);
  }

  /** An operator's block: until lifted (`forMs` absent) or for `forMs`. */
  async block(prefix: string, by: string, reason: string, forMs?: number): Promise<GuardState> {
    const now = this.now();
    const key = prefixKey(prefix);
    const [previous] = await this.backend.getBlocks([key]);
    await this.backend.putBlock({
      key,
      rule: 'operator',
      reason: `blocked by ${by}: ${reason}`,
      since: now,
      until: forMs === undefined ? null : now + forMs,
      trips: previous?.trips ?? 0,
      monitor: false,
      expiresAt: forMs === undefined ? Number.MAX_SAFE_INTEGER : now + forMs + this.policy.tripMemoryMs,
    });
    return this.status(prefix);
  }

  /**
   * Lifts a block now. The trips are forgotten (an operator says it was not pumping) and the
   * codes before it no longer judge the prefix: conversion is measured afresh from now.
   */
  async unblock(prefix: string, by: string, reason?: string): Promise<GuardState> {
    const now = this.now();
    const key = prefixKey(prefix);
    const [previous] = await this.backend.getBlocks([key]);
    await this.backend.putBlock({
      key,
      rule: previous?.rule ?? 'operator',
      reason: `unblocked by ${by}${reason ? `: ${reason}` : ''}`,
      since: previous?.since ?? now,
      until: now,
      trips: 0,
      monitor: false,
      expiresAt: now + this.policy.tripMemoryMs,
    });
    return this.status(prefix);
  }

  async status(prefix: string): Promise<GuardState> {
    const now = this.now();
    const key = prefixKey(prefix);
    const [[block], [hour]] = await Promise.all([
      this.backend.getBlocks([key]),
      this.backend.sums([{ key, from: now - HOUR, to: now + FINE_BUCKET_MS }]),
    ]);
    return stateOf(prefix, block, hour, now);
  }

  /** Prefixes blocked now (or, in monitor mode, that would be), newest first. */
  async list(): Promise<GuardState[]> {
    const now = this.now();
    const active = (await this.backend.getBlocks()).filter((b) => b.until === null || b.until > now);
    const sums = await this.backend.sums(
      active.map((b) => ({ key: b.key, from: now - HOUR, to: now + FINE_BUCKET_MS })),
    );
    return active
      .map((b, i) => stateOf(b.key.slice(2), b, sums[i], now))
      .sort((a, b) => (b.since ?? 0) - (a.since ?? 0));
  }

  /**
   * How many blocks are in force now, by scope and mode (`monitor`: recorded, not enforced): what
   * the `temporal_cascade_abuse_blocks_active` gauge reports. Every scope that can be blocked is
   * present, at 0 when nothing is blocked, so the series never vanish.
   */
  async activeBlocks(): Promise<ActiveBlocks[]> {
    const now = this.now();
    const counts = new Map<string, ActiveBlocks>([
      ['prefix/enforce', { scope: 'prefix', mode: 'enforce', count: 0 }],
      ['prefix/monitor', { scope: 'prefix', mode: 'monitor', count: 0 }],
    ]);
    for (const b of await this.backend.getBlocks()) {
      if (b.until !== null && b.until <= now) continue;
      const scope = scopeOfKey(b.key);
      const mode = b.monitor ? 'monitor' : 'enforce';
      const entry = counts.get(`${scope}/${mode}`) ?? { scope, mode, count: 0 };
      entry.count++;
      counts.set(`${scope}/${mode}`, entry);
    }
    return [...counts.values()];
  }

  async expire(now = this.now()): Promise<number> {
    return this.backend.expire(now);
  }

  async close(): Promise<void> {
    await this.backend.close();
  }

  /**
   * The pumping signature: codes that do not convert. A burst of unverified codes beyond the
   * prefix's usual volume with (almost) none verified, or settled codes whose conversion is far
   * under the prefix's own baseline or under the absolute floor.
   */
  private pumping(s: Snapshot, q: { burst: number; settled: number; young: number; baseline: number }) {
    const { conversion, burst } = this.policy;
    const baseline = s.sums[q.baseline];
    const perBurstWindow = (baseline.started * burst.windowMs) / DAY;
    const b = s.sums[q.burst];
    // This start is one more unverified code.
    const unverified = b.started + 1 - b.verified;
    const burstLimit = Math.max(burst.maxUnverified, burst.factor * perBurstWindow);
    if (unverified >= burstLimit && b.verified / (b.started + 1) < conversion.minRate) {
      return {
        rule: 'burst' as const,
        reason: `${unverified} codes in ${Math.round(burst.windowMs / 1000)} s not verified (${pct(b.verified / (b.started + 1))} converted, limit ${Math.round(burstLimit)}), the pattern of SMS pumping`,
      };
    }
    const settled = s.sums[q.settled];
    const young = s.sums[q.young];
    const n = settled.started + young.verified;
    const v = settled.verified + young.verified;
    if (n < conversion.minFlows) return undefined;
    const rate = v / n;
    const known = baseline.started >= conversion.baselineMin;
    const base = known ? baseline.verified / baseline.started : undefined;
    const threshold = Math.max(conversion.minRate, base === undefined ? 0 : base * conversion.relative);
    if (rate >= threshold) return undefined;
    return {
      rule: 'conversion' as const,
      reason: `${pct(rate)} of the last ${n} settled codes verified (minimum ${pct(threshold)}${base === undefined ? '' : `; this prefix's 24 h baseline ${pct(base)}`}), the pattern of SMS pumping`,
    };
  }

  /** Old buckets, runs and block history go by themselves, at most once a minute per store object. */
  private expireNowAndThen(now: number): void {
    if (now - this.lastExpire < 60_000) return;
    this.lastExpire = now;
    this.backend.expire(now).catch(() => undefined);
  }
}

function refuse(
  scope: Refusal['scope'],
  reason: string,
  oldest: number | undefined,
  window: number,
  now: number,
): Refusal {
  const retryAfterMs = oldest === undefined ? undefined : Math.max(1000, oldest + window + FINE_BUCKET_MS - now);
  return { allowed: false, scope, reason, ...(retryAfterMs !== undefined && { retryAfterMs }) };
}

function blockedRefusal(block: BlockRow, now: number): Refusal {
  const until = block.until === null ? 'until an operator unblocks it' : `until ${new Date(block.until).toISOString()}`;
  return {
    allowed: false,
    scope: 'prefix',
    reason: `blocked since ${new Date(block.since).toISOString()} ${until}: ${block.reason}`,
    ...(block.until !== null && { retryAfterMs: block.until - now }),
  };
}

function stateOf(
  prefix: string,
  block: BlockRow | undefined,
  hour: { started: number; verified: number },
  now: number,
): GuardState {
  const active = block !== undefined && (block.until === null || block.until > now);
  return {
    key: prefix,
    blocked: active && !block.monitor,
    ...(block && { reason: block.reason, since: block.since, trips: block.trips }),
    ...(block?.until != null && { until: block.until }),
    ...(active && block.monitor && { monitor: true }),
    recentFlows: hour.started,
    recentVerified: hour.verified,
    ...(hour.started > 0 && { conversionRate: hour.verified / hour.started }),
  };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/**
 * Provider health: what the workers and the receiver see of each provider, aggregated into time
 * buckets, and one circuit-breaker state per health key, both kept in the receipt index's database.
 *
 * A health key names what can fail on its own: a provider (`smsbat`, `reach`, `email`), a route of
 * it (`smsbat/standard`, `smsbat/tg-viber`), a destination country on a route (`smsbat/standard/+380`,
 * `reach/+44`). Receipts name only the provider's message id, so delivery outcomes count on the
 * provider's key; send outcomes count on every key of the send.
 */

export type BreakerState = 'closed' | 'open' | 'half_open';

/** `auto`: the breaker decides; `open`/`closed`: an operator forced the state. */
export type BreakerMode = 'auto' | 'open' | 'closed';

/** Why a breaker opened: send errors, receipts that did not come, failed receipts, an operator. */
export type OpenCause = 'errors' | 'silent' | 'failed' | 'operator';

/** Counts one process adds to one key's bucket at each flush. */
export interface HealthCounts {
  /** Send requests (activity attempts) that reached a decision: accepted or a provider error. */
  attempts: number;
  /** First attempts of a step: one per flow and step, the unit the error rule counts flows in. */
  firstTries: number;
  /** First attempts that failed with a provider error. */
  firstErrors: number;
  /** Every provider error: 5xx, 429, timeouts, resets, 401/403, unreadable answers. */
  errors: number;
  /** Sends the provider accepted. */
  ok: number;
  /** Accepted sends whose receipt will be pushed to the receiver (the silent rule's denominator). */
  expected: number;
  delivered: number;
  failed: number;
}

export const HEALTH_COUNTS: (keyof HealthCounts)[] = [
  'attempts',
  'firstTries',
  'firstErrors',
  'errors',
  'ok',
  'expected',
  'delivered',
  'failed',
];

export function emptyCounts(): HealthCounts {
  return { attempts: 0, firstTries: 0, firstErrors: 0, errors: 0, ok: 0, expected: 0, delivered: 0, failed: 0 };
}

export interface HealthBucket extends HealthCounts {
  key: string;
  /** Epoch ms at which the bucket starts. */
  start: number;
}

/** Results of the sends and receipts seen while a breaker is half-open (the probes' verdict). */
export interface ProbeCounts {
  ok: number;
  errors: number;
  delivered: number;
  failed: number;
}

/** One breaker, as stored. */
export interface BreakerRecord {
  key: string;
  state: BreakerState;
  mode: BreakerMode;
  /** Epoch ms of the last state change. */
  since: number;
  cause?: OpenCause;
  /** What was seen when the state last changed (rates, counts), for `provider status`. */
  reason?: string;
  /** Open: when it turns half-open. */
  retryAt?: number;
  /** Half-open: probes still allowed. */
  probesLeft: number;
  probe: ProbeCounts;
  /** Bumped by every write: transitions are compare-and-set on it, so one process makes each. */
  version: number;
}

export function closedRecord(key: string, since = 0): BreakerRecord {
  return {
    key,
    state: 'closed',
    mode: 'auto',
    since,
    probesLeft: 0,
    probe: { ok: 0, errors: 0, delivered: 0, failed: 0 },
    version: 0,
  };
}

/**
 * The shared store: one implementation per receipt-index backend. Every method is atomic on its
 * own; a transition is written only if the record is still at the version it was decided from.
 */
export interface HealthStore {
  /**
   * Adds each key's counts to its bucket, and the send and receipt outcomes to the probe counts
   * of keys that are half-open.
   */
  record(bucketStart: number, counts: Map<string, HealthCounts>): Promise<void>;
  /** Buckets starting at or after `from`, of every key (a bounded set: the window's). */
  buckets(from: number): Promise<HealthBucket[]>;
  /** Every breaker record (closed keys that never changed have none). */
  breakers(): Promise<BreakerRecord[]>;
  /**
   * Writes `next` if the key's record is at `next.version - 1` (0: none yet). Returns whether it did.
   */
  write(next: BreakerRecord): Promise<boolean>;
  /** Takes one probe of a half-open key; false when none is left (or the key is not half-open). */
  takeProbe(key: string): Promise<boolean>;
  /** Removes buckets that started before `before`. */
  prune(before: number): Promise<number>;
  close(): Promise<void>;
}

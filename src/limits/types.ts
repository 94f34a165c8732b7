import { type LimitVerdict } from '../shared/types';

/** Why a prefix is blocked: its conversion fell, a burst of unverified codes, or an operator. */
export type BlockRule = 'conversion' | 'burst' | 'operator';

export interface BlockRow {
  key: string;
  rule: BlockRule;
  reason: string;
  since: number;
  /** When it ends (epoch ms); null: until an operator lifts it. A lifted or expired block stays as history. */
  until: number | null;
  /** Trips within the policy's memory, for the escalating schedule. */
  trips: number;
  /** Recorded in monitor mode: reported, not enforced. */
  monitor: boolean;
  /** The row may be deleted after this (epoch ms). */
  expiresAt: number;
}

/** One admitted run: its verdict (asked again, it answers the same) and what it counted. */
export interface FlowRow {
  flowKey: string;
  at: number;
  verdict: LimitVerdict;
  /** Counter rows this run incremented ([key, bucket]); its conversion increments them again. */
  counted: [string, number][];
  verified: boolean;
  expiresAt: number;
}

/** Codes started and verified for one key over `[from, to)`; from is raised to the end of `afterBlockOf`'s last block. */
export interface SumQuery {
  key: string;
  from: number;
  to: number;
  afterBlockOf?: string;
}

export interface Sum {
  started: number;
  verified: number;
  /** The oldest bucket with a start in the window (for retry-after). */
  oldest?: number;
}

export interface Snapshot {
  flow?: FlowRow;
  sums: Sum[];
  blocks: BlockRow[];
}

/** What an admission writes, all in the transaction that read the snapshot. */
export interface AdmitPlan {
  flow: FlowRow;
  increments: { key: string; bucket: number; expiresAt: number }[];
  blocks: BlockRow[];
}

export interface AdmitRequest {
  flowKey: string;
  /** Keys to lock, for the backends that lock (sorted, so two admissions cannot deadlock). */
  keys: string[];
  queries: SumQuery[];
  blockKeys: string[];
  decide(snapshot: Snapshot): AdmitPlan | { existing: LimitVerdict };
}

/**
 * Storage for the limits: time-bucketed counters per key, one row per admitted run, and blocks.
 * `admit` reads, decides and writes in ONE transaction, atomic against every other admission of
 * the same keys, across processes and hosts.
 */
export interface LimitBackend {
  admit(request: AdmitRequest): Promise<LimitVerdict>;
  /** Marks a run verified and counts it in the buckets it started in; false if unknown or counted already. */
  convert(flowKey: string): Promise<boolean>;
  putBlock(row: BlockRow): Promise<void>;
  getBlocks(keys?: string[]): Promise<BlockRow[]>;
  sums(queries: SumQuery[]): Promise<Sum[]>;
  /** Deletes counters, runs and block history past their expiry. */
  expire(now: number): Promise<number>;
  close(): Promise<void>;
}

export const FINE_BUCKET_MS = 10_000;
export const HOUR_BUCKET_MS = 3_600_000;

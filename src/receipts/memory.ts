/**
 * The receipt index in this process's memory (`memory:`): for tests and the testing kit, and for a
 * deployment whose worker and webhook receiver share one process. Nothing survives a restart, and
 * no other process sees it. No native driver, so a consumer's test suite needs no better-sqlite3.
 *
 * Every operation runs to completion synchronously, so a claim and a route of the same id never
 * interleave; indexes opened on one store (`MemoryReceiptStore.open`) share its rows as two
 * connections to one database would.
 */
import { type DeliveryStatus, type ProviderName } from '../shared/delivery-status';
import { isSettled, lastClaimPerId, newestSettledStatus, resolveLimits, type ReceiptIndexOptions } from './rules';
import {
  type ReceiptClaim,
  type ReceiptIndex,
  type ReceiptIndexLimits,
  type ReceiptIndexStats,
  type ReceiptOwner,
  type RouteDecision,
} from './types';

interface Row {
  owner?: ReceiptOwner;
  /** Receipts waiting for a claim, oldest first (empty once claimed). */
  parked: DeliveryStatus[];
  /** Raw status of the last settled receipt the owner got. */
  lastSettled?: string;
  expiresAt: number;
}

/** The rows several MemoryReceiptIndex objects share. */
export class MemoryReceiptStore {
  readonly rows = new Map<string, Row>();
  /** Rows without an owner (the park's size, checked on every unknown id). */
  parkedIds = 0;

  open(options: ReceiptIndexOptions = {}): MemoryReceiptIndex {
    return new MemoryReceiptIndex(options, this);
  }
}

export class MemoryReceiptIndex implements ReceiptIndex {
  private readonly limits: ReceiptIndexLimits;
  private readonly now: () => number;
  private readonly store: MemoryReceiptStore;
  private readonly rows: Map<string, Row>;
  private refusedFull = 0;
  private expired = 0;

  constructor(options: ReceiptIndexOptions = {}, store = new MemoryReceiptStore()) {
    this.limits = resolveLimits(options.limits);
    this.now = options.now ?? Date.now;
    this.store = store;
    this.rows = store.rows;
  }

  async claim(provider: ProviderName, claims: ReceiptClaim[]): Promise<Map<string, DeliveryStatus[]>> {
    const expiresAt = this.now() + this.limits.claimTtlMs;
    const handedOver = new Map<string, DeliveryStatus[]>();
    for (const { messageId, owner } of lastClaimPerId(claims)) {
      const key = keyOf(provider, messageId);
      const row = this.rows.get(key);
      const parked = row && !row.owner ? row.parked : [];
      if (row && !row.owner) this.store.parkedIds--;
      if (parked.length > 0) handedOver.set(messageId, parked);
      // Receipts handed over by the claim reach the owner: their repeats are duplicates.
      const lastSettled = newestSettledStatus(parked) ?? row?.lastSettled;
      this.rows.set(key, { owner, parked: [], expiresAt, ...(lastSettled !== undefined && { lastSettled }) });
    }
    return handedOver;
  }

  async route(receipt: DeliveryStatus): Promise<RouteDecision> {
    const key = keyOf(receipt.provider, receipt.providerMessageId);
    const row = this.rows.get(key);
    if (row?.owner) {
      const duplicate = isSettled(receipt) && row.lastSettled === receipt.rawStatus;
      if (isSettled(receipt)) row.lastSettled = receipt.rawStatus;
      return { kind: 'owner', owner: row.owner, duplicate };
    }
    if (!row && this.store.parkedIds >= this.limits.maxParked) {
      this.refusedFull++;
      return { kind: 'full' };
    }
    if (!row) this.store.parkedIds++;
    const parked = [...(row?.parked ?? []), receipt].slice(-this.limits.maxParkedPerId);
    this.rows.set(key, { parked, expiresAt: this.now() + this.limits.parkTtlMs });
    return { kind: 'parked' };
  }

  async release(receipt: DeliveryStatus): Promise<void> {
    const row = this.rows.get(keyOf(receipt.provider, receipt.providerMessageId));
    if (row?.lastSettled === receipt.rawStatus) delete row.lastSettled;
  }

  async expire(now = this.now()): Promise<number> {
    let removed = 0;
    for (const [key, row] of this.rows) {
      if (row.expiresAt > now) continue;
      this.rows.delete(key);
      if (!row.owner) this.store.parkedIds--;
      removed++;
    }
    this.expired += removed;
    return removed;
  }

  async stats(): Promise<ReceiptIndexStats> {
    let parked = 0;
    let claimed = 0;
    for (const row of this.rows.values()) {
      if (row.owner) claimed++;
      else parked += row.parked.length;
    }
    return { parked, claimed, refusedFull: this.refusedFull, expired: this.expired };
  }

  async close(): Promise<void> {}
}

function keyOf(provider: ProviderName, messageId: string): string {
  return `${provider}\u0000${messageId}`;
}

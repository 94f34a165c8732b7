/** What both backends decide alike: limits, which receipts are settled, how a claim batch is read. */
import { type DeliveryStatus } from '../shared/delivery-status';
import { DEFAULT_INDEX_LIMITS, type ReceiptClaim, type ReceiptIndexLimits, type ReceiptOwner } from './types';

/** Options both backends take besides their connection. */
export interface ReceiptIndexOptions {
  limits?: Partial<ReceiptIndexLimits>;
  /** The clock for park and claim expiry, in epoch milliseconds (tests move it instead of sleeping). */
  now?: () => number;
}

export function resolveLimits(limits: Partial<ReceiptIndexLimits> = {}): ReceiptIndexLimits {
  const resolved = { ...DEFAULT_INDEX_LIMITS };
  for (const name of Object.keys(resolved) as (keyof ReceiptIndexLimits)[]) {
    const value = limits[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`receipt index limit ${name} must be a positive integer, got ${value}`);
    }
    resolved[name] = value;
  }
  return resolved;
}

/** Settled receipts are final, so seeing one again is a replay; `pending`/`unknown` may repeat. */
export function isSettled(receipt: DeliveryStatus): boolean {
  return receipt.state === 'delivered' || receipt.state === 'failed';
}

/** The raw status of the newest settled receipt (receipts are oldest first). */
export function newestSettledStatus(receipts: DeliveryStatus[]): string | undefined {
  for (let i = receipts.length - 1; i >= 0; i--) if (isSettled(receipts[i])) return receipts[i].rawStatus;
  return undefined;
}

/**
 * One claim per id, the last one in the batch (last claim wins), sorted by id: a multi-row
 * upsert may not touch a row twice, and a fixed lock order keeps concurrent batches from deadlocking.
 */
export function lastClaimPerId(claims: ReceiptClaim[]): ReceiptClaim[] {
  const byId = new Map(claims.map((c) => [c.messageId, c]));
  return [...byId.values()].sort((a, b) => (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0));
}

/** The owner columns both schemas share; `workflow_id` is null while the id is parked. */
export interface OwnerColumns {
  kind: string | null;
  workflow_id: string | null;
  slot: number | null;
}

export function ownerColumns(owner: ReceiptOwner): OwnerColumns {
  return { kind: owner.kind, workflow_id: owner.workflowId, slot: owner.kind === 'bulk' ? owner.slot : null };
}

export function ownerFromColumns(row: OwnerColumns): ReceiptOwner | undefined {
  if (row.workflow_id === null) return undefined;
  return row.kind === 'bulk'
    ? { kind: 'bulk', workflowId: row.workflow_id, slot: Number(row.slot) }
    : { kind: 'flow', workflowId: row.workflow_id };
}

import { type DeliveryStatus, type ProviderName } from '../shared/delivery-status';

/**
 * Who gets the receipts of one provider message: a single-message flow (`deliverMessage`,
 * `otpVerification`), or one message (`slot`, its index in the chunk) of a bulk chunk.
 */
export type ReceiptOwner = { kind: 'flow'; workflowId: string } | { kind: 'bulk'; workflowId: string; slot: number };

export interface ReceiptClaim {
  messageId: string;
  owner: ReceiptOwner;
}

/** What the receiver should do with a receipt it just handed to the index. */
export type RouteDecision =
  /** Deliver it to its owner. `duplicate`: a settled receipt with this status was already routed (replay, provider retry). */
  | { kind: 'owner'; owner: ReceiptOwner; duplicate: boolean }
  /** Nobody has claimed the id yet: kept until a claim comes, or until the park's TTL. */
  | { kind: 'parked' }
  /** Nobody has claimed the id and the park is full: not kept (the receiver answers 503). */
  | { kind: 'full' };

export interface ReceiptIndexStats {
  /** Receipts waiting for a claim right now. */
  parked: number;
  /** Message ids with an owner. */
  claimed: number;
  /** Since this index object was opened: receipts refused because the park was full. */
  refusedFull: number;
  /** Since this index object was opened: rows removed by `expire`. */
  expired: number;
}

/**
 * Provider message id → owner, outside workflow history. The send activities `claim` ids (one
 * transaction per batch) and the webhook receiver `route`s receipts; a receipt that arrives before
 * its claim is parked and handed back by the claim, so whichever side comes second delivers it.
 * Both operations are atomic per message id (race-free across processes and hosts).
 */
export interface ReceiptIndex {
  /**
   * Records the owner of each id (last claim wins) and returns, per id, the receipts parked for
   * it before this claim, oldest first. Ids with nothing parked are absent from the map.
   */
  claim(provider: ProviderName, claims: ReceiptClaim[]): Promise<Map<string, DeliveryStatus[]>>;
  /**
   * The owner of `receipt.providerMessageId`, or parks the receipt (at most `maxParkedPerId`
   * receipts per id, the newest kept). A settled receipt (`delivered`/`failed`) routed a second
   * time with the same raw status answers `duplicate: true`.
   */
  route(receipt: DeliveryStatus): Promise<RouteDecision>;
  /**
   * Undoes what `route` recorded for a settled receipt whose forwarding to its owner failed, so
   * the provider's retry of it is forwarded instead of being taken for a duplicate.
   */
  release(receipt: DeliveryStatus): Promise<void>;
  /** Removes claims older than `claimTtlMs` and parked receipts older than `parkTtlMs`. */
  expire(now?: number): Promise<number>;
  stats(): Promise<ReceiptIndexStats>;
  close(): Promise<void>;
}

export interface ReceiptIndexLimits {
  /** How many message ids may wait parked at once (the bound on what invented ids can cost). */
  maxParked: number;
  /** Receipts kept per parked id. */
  maxParkedPerId: number;
  /** A parked receipt waits this long for its claim (a send's answer takes seconds, minutes with retries). */
  parkTtlMs: number;
  /** A claim lives this long: the longest documented flow (7-day TTL) plus a margin. */
  claimTtlMs: number;
}

export const DEFAULT_INDEX_LIMITS: ReceiptIndexLimits = {
  maxParked: 10_000,
  maxParkedPerId: 4,
  parkTtlMs: 15 * 60_000,
  claimTtlMs: 8 * 86_400_000,
};

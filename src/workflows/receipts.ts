import { setHandler } from '@temporalio/workflow';
import { type DeliveryStatus } from '../shared/delivery-status';
import { receiptSignal } from '../shared/messages';
import { type Attempt } from '../shared/types';

const SETTLED = new Set<Attempt['status']>(['delivered', 'failed']);

export function isSettled(attempt: Attempt): boolean {
  return SETTLED.has(attempt.status);
}

/**
 * Applies a provider status to an attempt. Settled attempts never change again, so duplicate and
 * out-of-order receipts are harmless; a `timed_out` attempt can still be settled by a late one.
 * What the provider says of price, parts and channels is kept whatever the state: Reach prices a
 * message when it takes it, and its callbacks carry no price.
 */
export function applyStatus(attempt: Attempt, status: DeliveryStatus): void {
  if (isSettled(attempt) || attempt.status === 'canceled') return;
  recordFacts(attempt, status);
  if (status.state === 'pending' || status.state === 'unknown') {
    if (attempt.status === 'sending' || attempt.status === 'pending' || attempt.status === 'unknown') {
      attempt.status = status.state;
      attempt.rawStatus = status.rawStatus;
    }
    return;
  }
  attempt.status = status.state;
  attempt.rawStatus = status.rawStatus;
  attempt.settledAt = status.occurredAt ?? new Date().toISOString();
}

/** An amount always keeps its own currency: one without a currency never replaces one with it. */
function recordFacts(attempt: Attempt, status: DeliveryStatus): void {
  if (status.cost !== undefined && (status.currency !== undefined || attempt.currency === undefined)) {
    attempt.cost = status.cost;
    if (status.currency !== undefined) attempt.currency = status.currency;
  }
  if (status.channel !== undefined) attempt.carrier = status.channel;
  if (status.parts !== undefined) attempt.parts = status.parts;
  if (status.fallbacks !== undefined) attempt.fallbacks = status.fallbacks;
}

/** Receipts waiting for their attempt: a handful in practice; never more than this. */
const EARLY_MAX = 32;
/** Receipts one attempt takes: a message has a handful of statuses; any beyond are ignored. */
export const RECEIPTS_PER_ATTEMPT = 32;

/**
 * Receives receipt signals. A receipt can arrive before the send activity has returned the
 * provider message id (the provider is faster than our history): it waits here until `claim`.
 */
export class ReceiptInbox {
  private readonly early = new Map<string, DeliveryStatus>();
  private readonly taken = new WeakMap<Attempt, number>();

  constructor(private readonly attempts: Attempt[]) {
    setHandler(receiptSignal, (status) => this.accept(status));
  }

  accept(status: DeliveryStatus): void {
    const attempt = this.attempts.find(
      (a) => a.provider === status.provider && a.providerMessageId === status.providerMessageId,
    );
    if (attempt) {
      const n = this.taken.get(attempt) ?? 0;
      if (n >= RECEIPTS_PER_ATTEMPT) return;
      this.taken.set(attempt, n + 1);
      return applyStatus(attempt, status);
    }
    const k = key(status);
    const known = this.early.get(k);
    // One receipt kept per message, the settled one once it came.
    if (known && (known.state === 'delivered' || known.state === 'failed')) return;
    if (!known && this.early.size >= EARLY_MAX) this.early.delete(this.early.keys().next().value!);
    this.early.set(k, status);
  }

  /** Called once the attempt knows its provider message id. */
  claim(attempt: Attempt): void {
    const k = `${attempt.provider}:${attempt.providerMessageId}`;
    const status = this.early.get(k);
    if (status) {
      this.early.delete(k);
      applyStatus(attempt, status);
    }
  }
}

function key(s: DeliveryStatus): string {
  return `${s.provider}:${s.providerMessageId}`;
}

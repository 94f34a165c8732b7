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
 */
export function applyStatus(attempt: Attempt, status: DeliveryStatus): void {
  if (isSettled(attempt) || attempt.status === 'canceled') return;
  if (status.state === 'pending' || status.state === 'unknown') {
    if (attempt.status === 'sending' || attempt.status === 'pending' || attempt.status === 'unknown') {
      attempt.status = status.state;
      attempt.rawStatus = status.rawStatus;
    }
    return;
  }
  attempt.status = status.state;
  attempt.rawStatus = status.rawStatus;
  if (status.cost !== undefined) attempt.cost = status.cost;
  if (status.currency !== undefined) attempt.currency = status.currency;
  if (status.channel !== undefined) attempt.carrier = status.channel;
  attempt.settledAt = status.occurredAt ?? new Date().toISOString();
}

/**
 * Receives receipt signals. A receipt can arrive before the send activity has returned the
 * provider message id (the provider is faster than our history): it waits here until `claim`.
 */
export class ReceiptInbox {
  private readonly early = new Map<string, DeliveryStatus>();

  constructor(private readonly attempts: Attempt[]) {
    setHandler(receiptSignal, (status) => this.accept(status));
  }

  accept(status: DeliveryStatus): void {
    const attempt = this.attempts.find(
      (a) => a.provider === status.provider && a.providerMessageId === status.providerMessageId,
    );
    if (attempt) applyStatus(attempt, status);
    else if (!this.early.has(key(status)) || status.state === 'delivered' || status.state === 'failed') {
      this.early.set(key(status), status);
    }
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

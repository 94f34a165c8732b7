import { statusMapper, type DeliveryStatus } from '../status';
import { type ReachCallback, type ReachMessage } from './schemas';

/**
 * Reach's status words (reach.md, "Statuses"): `sent` is handed to the operator, not delivered;
 * `canceled` (an unscheduled message) is a failure to deliver. `accepted` and `sending` are listed
 * among MessagingItem statuses by the official clients; `received`/`receiving` are inbound and stay
 * `unknown`, like any word not in this table.
 */
export const reachState = statusMapper({
  scheduled: 'pending',
  accepted: 'pending',
  queued: 'pending',
  sending: 'pending',
  sent: 'pending',
  delivered: 'delivered',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
});

/** A fetched MessagingItem as the shared status; its time is the provider's last update. */
export function reachItemToStatus(item: ReachMessage): DeliveryStatus {
  return {
    provider: 'reach',
    providerMessageId: item.messageId,
    state: reachState(item.status),
    rawStatus: item.status,
    cost: item.price ?? undefined,
    currency: item.priceUnit ? item.priceUnit.toUpperCase() : undefined,
    occurredAt: item.dateUpdated ?? item.dateSent ?? undefined,
    errorCode: item.errorCode == null ? undefined : String(item.errorCode),
    errorMessage: item.errorMessage ?? undefined,
  };
}

/** A status callback as the shared status; its time is the operator's done date when given. */
export function reachCallbackToStatus(p: ReachCallback): DeliveryStatus {
  return {
    provider: 'reach',
    providerMessageId: p.messageId,
    state: reachState(p.status),
    rawStatus: p.status,
    occurredAt: p.dlrDate ? dlrDateToIso(p.dlrDate) : undefined,
    errorCode: p.errorCode || undefined,
    errorMessage: p.errorMessage || undefined,
  };
}

/** `YYMMDDhhmm` (reach.md, "Status callbacks") read as UTC; undefined when not a real date. */
export function dlrDateToIso(dlrDate: string): string | undefined {
  const m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(dlrDate);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = [2000 + Number(m[1]), ...m.slice(2).map(Number)];
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute));
  const real = at.getUTCMonth() === month - 1 && at.getUTCDate() === day && hour < 24 && minute < 60;
  return real ? at.toISOString().replace('.000Z', 'Z') : undefined;
}

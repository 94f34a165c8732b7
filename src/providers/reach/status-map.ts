import { statusMapper, type DeliveryStatus } from '../status';
import { type ReachMessage } from './schemas';

/** Reach statuses (reach.md, "Statuses"): `sent` is handed to the operator, not delivered. */
export const reachState = statusMapper({
  scheduled: 'pending',
  queued: 'pending',
  sent: 'pending',
  delivered: 'delivered',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
});

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

export function reachCallbackToStatus(p: {
  messageId: string;
  status: string;
  dlrDate?: string;
  errorCode?: string;
  errorMessage?: string;
}): DeliveryStatus {
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

/** `YYMMDDhhmm`, the operator receipt's done date, read as UTC. */
export function dlrDateToIso(d: string): string {
  const [yy, mm, dd, hh, mi] = [0, 2, 4, 6, 8].map((i) => d.slice(i, i + 2));
  return `20${yy}-${mm}-${dd}T${hh}:${mi}:00Z`;
}

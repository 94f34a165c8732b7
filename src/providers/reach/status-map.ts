import { statusMapper, type DeliveryStatus } from '../status';
import { type ReachCallback, type ReachMessage } from './schemas';

/**
 * Reach's status words (reach.md, "Statuses"), in any case: `sent` is handed to the operator, not
 * delivered; `canceled` (an unscheduled message) is a failure to deliver. `accepted` and `sending`
 * are listed among MessagingItem statuses by the official clients; `received`/`receiving` are
 * inbound and stay `unknown`, like any word not in this table.
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
  return compact({
    provider: 'reach',
    providerMessageId: item.messageId,
    state: reachState(item.status),
    rawStatus: item.status,
    // A price always travels with its unit; one without the other is not a cost we can state.
    cost: item.priceUnit !== undefined ? item.price : undefined,
    currency: item.price !== undefined ? item.priceUnit?.toUpperCase() : undefined,
    occurredAt: item.dateUpdated ?? item.dateSent,
    errorCode: item.errorCode,
    errorMessage: item.errorMessage,
    parts: item.numSegments,
  });
}

/** A status callback as the shared status; its time is the operator's done date when given. */
export function reachCallbackToStatus(p: ReachCallback): DeliveryStatus {
  return compact({
    provider: 'reach',
    providerMessageId: p.messageId,
    state: reachState(p.status),
    rawStatus: p.status,
    cost: p.priceUnit !== undefined ? p.price : undefined,
    currency: p.price !== undefined ? p.priceUnit?.toUpperCase() : undefined,
    occurredAt: p.dlrDate ? dlrDateToIso(p.dlrDate) : undefined,
    errorCode: p.errorCode,
    errorMessage: p.errorMessage,
    parts: p.numSegments,
  });
}

/** `YYMMDDhhmm` (reach.md, "Status callbacks"), or with seconds, read as UTC; undefined when not a real date. */
export function dlrDateToIso(dlrDate: string): string | undefined {
  const m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?$/.exec(dlrDate);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [2000 + Number(m[1]), ...m.slice(2).map((x) => Number(x ?? 0))];
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real = at.getUTCMonth() === month - 1 && at.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  return real ? at.toISOString().replace('.000Z', 'Z') : undefined;
}

function compact(status: DeliveryStatus): DeliveryStatus {
  return Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined)) as DeliveryStatus;
}

import { statusMapper, type DeliveryStatus } from '../status';
import { type SmsbatStatusResponse } from './schemas';

/** SMSBAT's `deliverystatus` words (smsbat.md §2): scheduled → processing → final. */
export const smsbatState = statusMapper({
  scheduled: 'pending',
  processing: 'pending',
  delivered: 'delivered',
  undeliverable: 'failed',
  permanenterror: 'failed',
});

export function statusFromResponse(requestedId: string, r: SmsbatStatusResponse): DeliveryStatus {
  const delivering = r.extendedStatuses
    ? Object.entries(r.extendedStatuses).find(([, status]) => status === 'delivered')?.[0]
    : undefined;
  return {
    provider: 'smsbat',
    providerMessageId: r.messageId ?? requestedId,
    state: smsbatState(r.deliverystatus),
    rawStatus: r.deliverystatus,
    cost: r.billAmount ?? r.cost,
    currency: r.billCurrency ?? r.rateCurrency,
    channel: delivering,
  };
}

export function statusFromWebhook(w: { messageId: string; deliverystatus: string; timestamp?: string; cost?: number }) {
  const status: DeliveryStatus = {
    provider: 'smsbat',
    providerMessageId: w.messageId,
    state: smsbatState(w.deliverystatus),
    rawStatus: w.deliverystatus,
    cost: w.cost,
    occurredAt: w.timestamp,
  };
  return status;
}

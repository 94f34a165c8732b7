import { statusMapper, type DeliveryStatus } from '../status';
import { type SmsbatStatusResponse, type SmsbatWebhook } from './schemas';

/**
 * SMSBAT's `deliverystatus` words (smsbat.md §2), lifecycle scheduled → processing → final.
 * Any other word maps to `unknown`, with the raw word kept in `rawStatus`.
 */
export const SMSBAT_STATES = {
  scheduled: 'pending',
  processing: 'pending',
  delivered: 'delivered',
  undeliverable: 'failed',
  permanenterror: 'failed',
} as const;

export const smsbatState = statusMapper(SMSBAT_STATES);

/**
 * A status answer → the shared status. Early states carry no `messageId`, so the id we asked
 * about stands in. The extended answer names the channel that delivered (`extendedStatuses`) and
 * what was billed; the billed amount wins over `cost` because `billCurrency` belongs to it.
 */
export function statusFromResponse(requestedId: string, r: SmsbatStatusResponse): DeliveryStatus {
  const channel = Object.entries(r.extendedStatuses ?? {}).find(([, status]) => status === 'delivered')?.[0];
  return {
    provider: 'smsbat',
    providerMessageId: r.messageId ?? requestedId,
    state: smsbatState(r.deliverystatus),
    rawStatus: r.deliverystatus,
    cost: r.billAmount ?? r.cost,
    currency: r.billCurrency ?? r.rateCurrency,
    channel,
  };
}

/** A delivery webhook (§3) → the shared status; the event time is the provider's `timestamp`. */
export function statusFromWebhook(w: SmsbatWebhook): DeliveryStatus {
  return {
    provider: 'smsbat',
    providerMessageId: w.messageId,
    state: smsbatState(w.deliverystatus),
    rawStatus: w.deliverystatus,
    cost: w.cost,
    occurredAt: w.timestamp,
  };
}

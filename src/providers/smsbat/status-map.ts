import { statusMapper, type DeliveryStatus } from '../status';
import { type SmsbatStatusResponse, type SmsbatWebhook } from './schemas';

/**
 * SMSBAT's `deliverystatus` words (smsbat.md §2), lifecycle scheduled → processing → final, in
 * any case. Any other word maps to `unknown`, with the raw word kept in `rawStatus`.
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
 * what was billed. An amount always travels with its own currency: the billed amount with
 * `billCurrency`; `cost` (the basic answer's) with `currency` only when the caller knows the
 * account's currency. `rate` is a price, not what this message cost.
 */
export function statusFromResponse(
  requestedId: string,
  r: SmsbatStatusResponse,
  accountCurrency?: string,
): DeliveryStatus {
  const extended = r.extendedStatuses ?? {};
  const channel = Object.entries(extended).find(([, status]) => status.toLowerCase() === 'delivered')?.[0];
  const billed = r.billAmount !== undefined && r.billCurrency !== undefined;
  const fallbacks = r.fallbacks?.length
    ? r.fallbacks.map((f) => ({ channel: f.type, status: f.status }))
    : Object.keys(extended).length > 0
      ? Object.entries(extended).map(([c, status]) => ({ channel: c, status }))
      : undefined;
  return compact({
    provider: 'smsbat',
    providerMessageId: r.messageId ?? requestedId,
    state: smsbatState(r.deliverystatus),
    rawStatus: r.deliverystatus,
    cost: billed ? r.billAmount : r.cost,
    currency: billed ? r.billCurrency!.toUpperCase() : r.cost !== undefined ? accountCurrency : undefined,
    channel,
    parts: r.partscount,
    fallbacks,
  });
}

/** A delivery webhook (§3) → the shared status; the event time is the provider's `timestamp`. */
export function statusFromWebhook(w: SmsbatWebhook, accountCurrency?: string): DeliveryStatus {
  return compact({
    provider: 'smsbat',
    providerMessageId: w.messageId,
    state: smsbatState(w.deliverystatus),
    rawStatus: w.deliverystatus,
    cost: w.cost,
    currency: w.cost !== undefined ? accountCurrency : undefined,
    occurredAt: w.timestamp,
    parts: w.partscount,
  });
}

/** Drops undefined fields, so statuses compare and serialise cleanly. */
function compact(status: DeliveryStatus): DeliveryStatus {
  return Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined)) as DeliveryStatus;
}

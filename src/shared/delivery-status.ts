/** Which provider carried a message. */
export type ProviderName = 'smsbat' | 'reach' | 'email';

/**
 * The one delivery-status type every provider's answers (status polls, webhooks, callbacks) are
 * normalised into. `unknown` is a provider word we have no mapping for: it is kept raw and
 * treated like `pending` by the workflows, never as a crash.
 */
export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'unknown';

export interface DeliveryStatus {
  provider: ProviderName;
  providerMessageId: string;
  state: DeliveryState;
  /** The provider's own status word, unchanged (`undeliverable`, `sent`, …). */
  rawStatus: string;
  cost?: number;
  currency?: string;
  /** The channel that carried the message, when the provider says (SMSBAT: viber, sms, …). */
  channel?: string;
  /** When the provider says the status changed (ISO 8601); absent when it does not say. */
  occurredAt?: string;
  errorCode?: string;
  errorMessage?: string;
  /** How many SMS parts (segments) the message took, when the provider says. */
  parts?: number;
  /** SMSBAT's cascade: what each channel did (`viber: delivered`, `sms: not_used`). */
  fallbacks?: { channel: string; status: string }[];
  /** Fields the provider sent that could not be read (names only; their values are not kept). */
  unreadable?: string[];
}

/**
 * Builds a status-word → state mapper from one table; words match in any case (`Delivered`),
 * unknown words map to `unknown` (the caller keeps the raw word).
 */
export function statusMapper<W extends string>(table: Record<W, DeliveryState>) {
  return (raw: string): DeliveryState => {
    const word = raw.trim().toLowerCase();
    return Object.prototype.hasOwnProperty.call(table, word) ? table[word as W] : 'unknown';
  };
}

/** Whether a status is final: a settled attempt never changes again. */
export function isFinalState(state: DeliveryState): state is 'delivered' | 'failed' {
  return state === 'delivered' || state === 'failed';
}

import { type SimProvider, type SimQuirk } from './types';

/**
 * Provider oddities on demand (`SimQuirk`), for the tolerant-reader tests: each function below
 * takes what a provider simulation is about to send and returns it as a provider having that
 * oddity would. Only what goes out changes; the simulator's own record of a message does not.
 * A message's quirks are those of the rule that decided it plus those set for its provider.
 *
 *   SMSBAT webhook        smsbat-webhook-cost-null, -cost-string, -zoneless-time, status-case, unknown-fields
 *   SMSBAT status answer  smsbat-status-nulls, -strings, -basic (chosen in smsbat.ts), status-case, unknown-fields
 *   SMSBAT send answer    unknown-fields
 *   Reach callback        reach-dlr-empty, -dlr-12-digits, -error-code-empty, status-case, unknown-fields
 *   Reach MessagingItem   reach-item-nulls, status-case, unknown-fields (create, fetch, list, unschedule, update)
 */

export type Quirks = ReadonlySet<SimQuirk>;

/** Which provider each quirk belongs to (a rule may carry any; `setQuirks` only its provider's). */
const QUIRK_PROVIDER: Record<SimQuirk, 'smsbat' | 'reach' | 'both'> = {
  'smsbat-webhook-cost-null': 'smsbat',
  'smsbat-webhook-cost-string': 'smsbat',
  'smsbat-webhook-zoneless-time': 'smsbat',
  'smsbat-status-nulls': 'smsbat',
  'smsbat-status-strings': 'smsbat',
  'smsbat-status-basic': 'smsbat',
  'status-case': 'both',
  'unknown-fields': 'both',
  'reach-dlr-empty': 'reach',
  'reach-dlr-12-digits': 'reach',
  'reach-error-code-empty': 'reach',
  'reach-item-nulls': 'reach',
};

/** Why a list of quirks cannot be used (for `provider`, when given), or `undefined` when it can. */
export function quirksProblem(quirks: unknown, provider?: SimProvider): string | undefined {
  if (!Array.isArray(quirks)) return 'quirks must be an array of quirk names';
  for (const q of quirks) {
    const owner = typeof q === 'string' ? QUIRK_PROVIDER[q as SimQuirk] : undefined;
    if (owner === undefined)
      return `unknown quirk ${JSON.stringify(q)}; known: ${Object.keys(QUIRK_PROVIDER).join(', ')}`;
    if (provider !== undefined && owner !== 'both' && owner !== provider) return `${q} is not a ${provider} quirk`;
  }
  return undefined;
}

/**
 * Fields no spec names, added by `unknown-fields`. A JSON body gets one of each kind of value; a
 * form body (Reach's callbacks) carries strings only.
 */
export const UNDOCUMENTED_JSON_FIELDS = {
  undocumentedText: 'added by the simulator',
  undocumentedNumber: 42,
  undocumentedNull: null,
  undocumentedObject: { nested: ['a', 1, true] },
} as const;
export const UNDOCUMENTED_FORM_FIELDS = {
  undocumentedText: 'added by the simulator',
  undocumentedNumber: '42',
} as const;

/** Words that end a message in failure: `status-case` upper-cases them and title-cases the rest. */
const FAILURE_WORDS = new Set(['undeliverable', 'permanenterror', 'undelivered', 'failed', 'canceled']);

/** `status-case`: "Delivered", "Sent", "Processing"…, but "UNDELIVERABLE", "FAILED"… */
export function statusWord(word: string, quirks: Quirks): string {
  if (!quirks.has('status-case')) return word;
  return FAILURE_WORDS.has(word) ? word.toUpperCase() : word.charAt(0).toUpperCase() + word.slice(1);
}

function withUndocumented<T extends object>(body: T, quirks: Quirks): T {
  return quirks.has('unknown-fields') ? { ...body, ...UNDOCUMENTED_JSON_FIELDS } : body;
}

/** Every field but `keep` set to null. */
function nulled(body: Record<string, unknown>, keep: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, keep.includes(k) ? v : null]));
}

// ---- SMSBAT --------------------------------------------------------------------------------------

export interface SmsbatWebhookBody {
  messageId: string;
  deliverystatus: string;
  /** ISO 8601 UTC, seconds, `Z` (the page's example). */
  timestamp: string;
  cost?: number;
}

export function smsbatWebhook(body: SmsbatWebhookBody, quirks: Quirks): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, deliverystatus: statusWord(body.deliverystatus, quirks) };
  if (quirks.has('smsbat-webhook-zoneless-time')) out.timestamp = body.timestamp.replace(/Z$/, '');
  if (quirks.has('smsbat-webhook-cost-string') && typeof body.cost === 'number') out.cost = String(body.cost);
  if (quirks.has('smsbat-webhook-cost-null')) out.cost = null; // wins over cost-string when both are set
  return withUndocumented(out, quirks);
}

/** A status answer in any of its forms (short, basic, extended). */
export function smsbatStatusAnswer(answer: Record<string, unknown>, quirks: Quirks): Record<string, unknown> {
  let out: Record<string, unknown> = { ...answer };
  if (typeof out.deliverystatus === 'string') out.deliverystatus = statusWord(out.deliverystatus, quirks);
  if (quirks.has('smsbat-status-strings')) {
    out = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]));
  }
  if (quirks.has('smsbat-status-nulls')) out = nulled(out, ['messageId', 'deliverystatus']); // wins over strings
  return withUndocumented(out, quirks);
}

export function smsbatSendResult(result: { messageId: string; trackinId: unknown }, quirks: Quirks): object {
  return withUndocumented(result, quirks);
}

// ---- Reach ---------------------------------------------------------------------------------------

/** A MessagingItem as an answer (create, fetch, list, unschedule, update). */
export function reachItem(item: object, quirks: Quirks): Record<string, unknown> {
  let out: Record<string, unknown> = { ...item };
  if (typeof out.status === 'string') out.status = statusWord(out.status, quirks);
  if (quirks.has('reach-item-nulls')) out = nulled(out, ['messageId', 'status']);
  return withUndocumented(out, quirks);
}

/** The list answer's envelope (its items have been through `reachItem`). */
export function reachListPage<T extends object>(page: T, quirks: Quirks): T {
  return withUndocumented(page, quirks);
}

/**
 * A status callback's form parameters, before they are signed (so the signature always covers
 * what is sent). `atMs` is the event time, for the seconds of a 12-digit `dlrDate`.
 */
export function reachCallback(params: Record<string, string>, quirks: Quirks, atMs: number): Record<string, string> {
  const out = { ...params };
  if (out.status !== undefined) out.status = statusWord(out.status, quirks);
  if (quirks.has('reach-dlr-12-digits') && out.dlrDate !== undefined) {
    out.dlrDate += new Date(atMs).toISOString().slice(17, 19); // YYMMDDhhmm + ss
  }
  if (quirks.has('reach-dlr-empty')) out.dlrDate = ''; // on every callback; wins over 12 digits
  if (quirks.has('reach-error-code-empty')) Object.assign(out, { errorCode: '', errorMessage: '' });
  return quirks.has('unknown-fields') ? { ...out, ...UNDOCUMENTED_FORM_FIELDS } : out;
}

import { type IncomingHttpHeaders } from 'node:http';

export type SimProvider = 'smsbat' | 'reach' | 'email';

/** A request as the simulator received it (also what the recorder keeps for assertions). */
export interface SimRequest {
  provider: SimProvider;
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
  receivedAt: number;
  /** The HTTP status the simulator answered with (absent: reset, hung, or not answered yet). */
  answeredWith?: number;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless `text` is given. */
  json?: unknown;
  text?: string;
}

/**
 * What happens to one message sent to a recipient. `reject` answers the send call itself with an
 * error; the others accept the send and then drive the message's status. A `deliver` outcome's
 * `cost` is the message's total cost as SMSBAT reports it (instead of the price per part × parts).
 */
export type SimOutcome =
  | { kind: 'deliver'; afterMs?: number; channel?: string; cost?: number }
  | { kind: 'fail'; afterMs?: number; status?: string; errorCode?: string }
  | { kind: 'pending' }
  | {
      kind: 'reject';
      status: number;
      code?: string;
      message?: string;
      field?: string;
      retryAfterSec?: number;
      /** The error message quotes the text that was sent, as some providers' validation errors do. */
      echoText?: boolean;
    };

/** Provider oddities the simulator produces on purpose, so tolerant readers are exercised. */
export type SimQuirk =
  | 'smsbat-webhook-cost-null' // webhook "cost": null
  | 'smsbat-webhook-cost-string' // webhook "cost": "0.05"
  | 'smsbat-webhook-zoneless-time' // webhook "timestamp": "2025-01-23T10:30:00" (no zone, UTC meant)
  | 'smsbat-status-nulls' // status answer: null in every field that is not messageId/deliverystatus
  | 'smsbat-status-strings' // status answer: numbers as strings ("cost": "0.05", "partscount": "1", "messagelistId": "123")
  | 'smsbat-status-basic' // the basic (non-extended) final status answer
  | 'status-case' // status words in another case: "Delivered", "UNDELIVERABLE", "Sent"
  | 'unknown-fields' // extra fields nobody documented, in webhooks, callbacks and answers
  | 'reach-dlr-empty' // callback dlrDate=""
  | 'reach-dlr-12-digits' // callback dlrDate as YYMMDDhhmmss
  | 'reach-error-code-empty' // callback errorCode="" and errorMessage=""
  | 'reach-item-nulls'; // fetch/list/create answers: null in every field but messageId and status

/** How the provider tells us about status changes: webhook/callback (`send`) or not at all (`withhold`). */
export type ReceiptMode = 'send' | 'withhold';

export interface SimRule {
  /** Exact recipient (E.164 phone or email address); omit to match everyone. */
  recipient?: string;
  /** Phone-number prefix, e.g. `+38067`. */
  prefix?: string;
  provider?: SimProvider;
  outcome: SimOutcome;
  receipt?: ReceiptMode;
  /** Applies to this many sends, then falls through to later rules. Default: forever. */
  times?: number;
  /**
   * Oddities in everything the provider sends about the messages this rule decides (their
   * webhooks, callbacks and answers), on top of those set for the provider with `setQuirks`.
   */
  quirks?: SimQuirk[];
}

export interface SimFaults {
  /** Extra latency added to every answer, ms. */
  latencyMs?: number;
  /** Share of requests answered 500 / 503. */
  errorRate?: number;
  /** Share of requests answered 429 with Retry-After. */
  rateLimitRate?: number;
  /** Share of requests whose connection is reset without an answer. */
  resetRate?: number;
  /** Share of requests that never get an answer (the client's timeout fires). */
  hangRate?: number;
  /** Share of accepted messages that never settle: no receipt, no status change (a silent outage). */
  silentRate?: number;
  /** Share of accepted messages that fail at the provider (with their failed receipt). */
  failRate?: number;
  /**
   * Share of sends (POST) the provider accepts and then never answers: the client's deadline fires
   * on a request whose messages went out (a lost answer).
   */
  acceptThenHangRate?: number;
  /** Share of sends (POST) the provider accepts and a gateway then answers 502 for. */
  acceptThen502Rate?: number;
  /** Share of receipts (webhooks, callbacks) silently dropped. */
  receiptLossRate?: number;
  /** Above this many requests in progress, answer 429. */
  maxConcurrency?: number;
  /** Retry-After seconds sent with 429s. Default 1. */
  retryAfterSec?: number;
}

/** A record of a message the simulator accepted, for assertions over what each provider received. */
export interface SimMessage {
  provider: SimProvider;
  messageId: string;
  recipient: string;
  text?: string;
  /** The provider-visible tracking key: SMSBAT `id`, Reach `bulkIdentifier`. */
  trackingKey?: string;
  status: string;
  acceptedAt: number;
  /** The raw request fields as sent. */
  fields: Record<string, unknown>;
}

/**
 * Named provider conditions for outage drills: `errors` answers 5xx to every request, `hang`
 * accepts connections and never answers, `silent` accepts messages and never delivers them,
 * `noise` is a healthy provider's background (5 % random 5xx, 2 % failed messages), `healthy`
 * clears every fault.
 */
export type SimOutage = 'healthy' | 'errors' | 'hang' | 'silent' | 'noise';

export const OUTAGE_FAULTS: Record<SimOutage, SimFaults> = {
  healthy: {},
  errors: { errorRate: 1 },
  hang: { hangRate: 1 },
  silent: { silentRate: 1 },
  noise: { errorRate: 0.05, failRate: 0.02 },
};

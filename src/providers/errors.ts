/**
 * Provider errors are data: a typed class per kind, carrying the provider, the HTTP status and the
 * provider's own error code and field. Whether a kind is worth retrying is decided here, once.
 */
import { type ProviderName } from '../shared/delivery-status';
export { type ProviderName };

export type ProviderErrorKind =
  | 'invalid_request' // 400 / 422, or rejected by our own validation before sending
  | 'unauthorized' // 401 / 403
  | 'not_found' // 404
  | 'rate_limited' // 429
  | 'server' // 5xx
  | 'network' // connection refused / reset, DNS
  | 'timeout' // no answer within the call's timeout
  | 'malformed_response'; // 2xx whose body does not match the documented schema

const RETRYABLE: Record<ProviderErrorKind, boolean> = {
  invalid_request: false,
  unauthorized: false,
  not_found: false,
  rate_limited: true,
  server: true,
  network: true,
  timeout: true,
  // A send whose answer we cannot read may have been accepted: retrying could send twice.
  malformed_response: false,
};

export interface ProviderErrorDetails {
  provider: ProviderName;
  status?: number;
  /** The provider's own error code (`INVALID_PHONE`, `21211`, an SMTP reply code …). */
  code?: string;
  /** The request field the provider blamed, when it says. */
  field?: string;
  /** From a 429's Retry-After header, in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

export abstract class ProviderError extends Error {
  abstract readonly kind: ProviderErrorKind;
  readonly provider: ProviderName;
  readonly status?: number;
  readonly code?: string;
  readonly field?: string;
  readonly retryAfterMs?: number;

  constructor(message: string, details: ProviderErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.provider = details.provider;
    this.status = details.status;
    this.code = details.code;
    this.field = details.field;
    this.retryAfterMs = details.retryAfterMs;
  }

  get retryable(): boolean {
    return RETRYABLE[this.kind];
  }

  /** A plain, serialisable view (no cause, no stack): safe for logs and activity failures. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      provider: this.provider,
      message: this.message,
      status: this.status,
      code: this.code,
      field: this.field,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

export class ProviderRequestError extends ProviderError {
  readonly kind = 'invalid_request' as const;
}
export class ProviderAuthError extends ProviderError {
  readonly kind = 'unauthorized' as const;
}
export class ProviderNotFoundError extends ProviderError {
  readonly kind = 'not_found' as const;
}
export class ProviderRateLimitError extends ProviderError {
  readonly kind = 'rate_limited' as const;
}
export class ProviderServerError extends ProviderError {
  readonly kind = 'server' as const;
}
export class ProviderNetworkError extends ProviderError {
  readonly kind = 'network' as const;
}
export class ProviderTimeoutError extends ProviderError {
  readonly kind = 'timeout' as const;
}
export class ProviderResponseError extends ProviderError {
  readonly kind = 'malformed_response' as const;
}

/** Transport codes that mean the request never reached the provider: nothing can have been accepted. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Whether the provider may have accepted a request that failed this way: no answer in time, a
 * connection lost once the request could have been written, or a gateway's 502/504 (the load
 * balancer answered, not the provider). Re-posting such a request could send its messages twice.
 */
export function isAmbiguous(err: ProviderError): boolean {
  if (err.kind === 'timeout' || err.kind === 'network') return !(err.code && NOT_SENT_CODES.has(err.code));
  return err.kind === 'server' && (err.status === 502 || err.status === 504);
}

/** Maps a non-2xx HTTP status to the error class that describes it. */
export function errorForStatus(status: number, message: string, details: Omit<ProviderErrorDetails, 'status'>) {
  const d = { ...details, status };
  if (status === 429) return new ProviderRateLimitError(message, d);
  if (status === 401 || status === 403) return new ProviderAuthError(message, d);
  if (status === 404) return new ProviderNotFoundError(message, d);
  if (status >= 500) return new ProviderServerError(message, d);
  return new ProviderRequestError(message, d);
}

/** Parses Retry-After (delta-seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

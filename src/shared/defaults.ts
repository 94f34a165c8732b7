/**
 * The workflow inputs' defaults, part of the public contract (the README lists them). Plain
 * values, so workflow code can read them without loading the input schemas (zod stays out of the
 * workflow sandbox: it would cost every cached flow a megabyte).
 */
export const DEFAULT_DELIVERY_TIMEOUT = '2m';

export const OTP_DEFAULTS = {
  codeLength: 6,
  codeTtl: '10m',
  maxAttempts: 5,
  maxSends: 5,
  resendCooldown: '30s',
} as const;

export const BULK_DEFAULTS = {
  batchSize: 1000,
  ratePerSecond: 200,
  trackFor: '10m',
  /** The longest `trackFor` (SMSBAT schedules up to 30 days ahead); chunks continue as new, so any fits in history. */
  maxTrackFor: '30d',
  maxInline: 10_000,
} as const;

/** Set on an input that CascadeClient (or the worker's check) validated with these schemas, defaults applied. */
export const VALIDATED = 'v2' as const;

import { ApplicationFailure } from '@temporalio/activity';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { ChannelNotConfiguredError } from '../channels/types';
import { ProviderError } from '../providers/errors';

/**
 * Turns a provider error into the activity failure the retry policy acts on: non-retryable for
 * 400/401/403/404 and malformed answers, retryable otherwise, with a 429's Retry-After as the
 * next retry delay. The failure type is the error class name (`ProviderRequestError`, …).
 *
 * What a provider says back can quote what we sent — the message text, an OTP code — and the
 * failure goes to workflow history, to the `status`/`state` queries and to the worker's log. So
 * its message is scrubbed of `secrets` (the rendered text, the code), of the recipient's phone
 * numbers and addresses however the provider wrote them, and, when `digits` is set (OTP sends), of
 * every number of four or more digits; the provider's code and field stay.
 */
export function toActivityFailure(err: unknown, redact: Redaction = {}): unknown {
  if (err instanceof ChannelNotConfiguredError) return notConfigured(err.channel);
  if (!(err instanceof ProviderError)) return err;
  const message = scrub(err.message, redact);
  return ApplicationFailure.create({
    type: err.name,
    message,
    nonRetryable: !err.retryable,
    nextRetryDelay: err.retryAfterMs,
    details: [{ ...err.toJSON(), message }],
  });
}

export interface Redaction {
  secrets?: (string | undefined)[];
  /** Phone numbers, found in any common writing: `+380 66 111 2233`, `(066) 111-22-33`, `0661112233`. */
  phones?: string[];
  /** Email addresses, found in any case and URL-encoded (`ann%40example.com`). */
  emails?: string[];
  digits?: boolean;
}

/**
 * The same redaction, also of these recipients' addresses, as providers quote them back (`Invalid
 * phone 380501234567`, `550 <ann@example.com>: no such user`): personal data, kept out of history
 * and logs like the text.
 */
export function withRecipients(redact: Redaction, ...recipients: { phone?: string; email?: string }[]): Redaction {
  return {
    ...redact,
    phones: [...(redact.phones ?? []), ...recipients.flatMap((r) => (r.phone ? [r.phone] : []))],
    emails: [...(redact.emails ?? []), ...recipients.flatMap((r) => (r.email ? [r.email] : []))],
  };
}

/** A number as people and providers write it: digits with spaces, dashes, dots or brackets, maybe a `+`. */
const PHONE_LIKE = /(?:\+|%2B)?\(?\d[\d \t().-]*\d/gi;

export function scrub(text: string, { secrets = [], phones = [], emails = [], digits = false }: Redaction): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    out = out.split(secret).join('[redacted]');
    // Providers often quote a truncated text: its first 16 characters are redacted too.
    if (secret.length > 24) out = out.split(secret.slice(0, 16)).join('[redacted]');
  }
  for (const email of emails) out = out.replace(emailPattern(email), '[redacted]');
  const numbers = phones.map(phoneForms);
  for (const { national } of numbers)
    if (national.length >= 6) out = out.replace(nationalPattern(national), '[redacted]');
  out = out.replace(PHONE_LIKE, (match) => {
    const found = match.replace(/^%2B/i, '').replace(/\D/g, '');
    const counts = digits ? found.length >= 4 : numbers.some((n) => samePhone(found, n));
    return counts ? '[redacted]' : match;
  });
  return digits ? out.replace(/\d{4,}/g, '[redacted]') : out;
}

/** An address in any case, each of its non-alphanumeric characters also as its %XX escape. */
function emailPattern(email: string): RegExp {
  const parts = Array.from(email, (c) => {
    if (/[A-Za-z0-9]/.test(c)) return c;
    const hex = c.charCodeAt(0).toString(16).padStart(2, '0');
    return `(?:${c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')}|%${hex})`;
  });
  return new RegExp(parts.join(''), 'gi');
}

/** The national number with any separators between its digits, behind any prefix (`+380 `, `0`, `8 `, `00380`). */
function nationalPattern(national: string): RegExp {
  const sep = '[ \\t().\\-]*';
  return new RegExp(`(?:(?:\\+|%2B|\\d|\\()[\\d \\t().\\-]*?)?${Array.from(national).join(sep)}`, 'gi');
}

function phoneForms(phone: string): { full: string; national: string } {
  const full = phone.replace(/\D/g, '');
  const national = parsePhoneNumberFromString(phone.startsWith('+') ? phone : `+${full}`)?.nationalNumber ?? full;
  return { full, national: String(national) };
}

/**
 * Digits a provider wrote, against a recipient's number: the whole number, its national number
 * behind any prefix (`0661112233`, `80661112233`, `00380661112233`), or a truncated quote of at least
 * eight digits (`+380 66 111`).
 */
function samePhone(found: string, { full, national }: { full: string; national: string }): boolean {
  if (found.length < 6) return false;
  if (found === full || (national.length >= 6 && found.endsWith(national))) return true;
  return found.length >= 8 && (full.startsWith(found) || `0${national}`.startsWith(found));
}

export const NOT_CONFIGURED = 'CascadeProviderNotConfigured';

export function notConfigured(provider: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: NOT_CONFIGURED,
    message: `provider ${provider} is not configured on this worker (no credentials in its environment)`,
    nonRetryable: true,
  });
}

export function otpNotConfigured(): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'CascadeOtpNotConfigured',
    message: 'OTP flows need CASCADE_OTP_SECRET on the worker',
    nonRetryable: true,
  });
}

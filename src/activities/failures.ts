import { ApplicationFailure } from '@temporalio/activity';
import { ChannelNotConfiguredError } from '../channels/types';
import { ProviderError } from '../providers/errors';

/**
 * Turns a provider error into the activity failure the retry policy acts on: non-retryable for
 * 400/401/403/404 and malformed answers, retryable otherwise, with a 429's Retry-After as the
 * next retry delay. The failure type is the error class name (`ProviderRequestError`, …).
 *
 * What a provider says back can quote what we sent — the message text, an OTP code — and the
 * failure goes to workflow history, to the `status`/`state` queries and to the worker's log. So
 * its message is scrubbed of `secrets` (the rendered text, the code, the recipient's addresses) and,
 * when `digits` is set (OTP sends), of every run of four or more digits; the provider's code and
 * field stay.
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
  digits?: boolean;
}

/**
 * A recipient's addresses as providers quote them back (`Invalid phone 380501234567`, `550
 * <ann@example.com>: no such user`): personal data, kept out of history and logs like the text.
 */
export function recipientSecrets(recipient: { phone?: string; email?: string }): string[] {
  const { phone, email } = recipient;
  return [phone, phone?.replace(/^\+/, ''), email].filter((s): s is string => Boolean(s));
}

/** The same redaction, also of these recipients' addresses. */
export function withRecipients(redact: Redaction, ...recipients: { phone?: string; email?: string }[]): Redaction {
  return { ...redact, secrets: [...(redact.secrets ?? []), ...recipients.flatMap(recipientSecrets)] };
}

export function scrub(text: string, { secrets = [], digits = false }: Redaction): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    out = out.split(secret).join('[redacted]');
    // Providers often quote a truncated text: its first 16 characters are redacted too.
    if (secret.length > 24) out = out.split(secret.slice(0, 16)).join('[redacted]');
  }
  return digits ? out.replace(/\d{4,}/g, '[redacted]') : out;
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

import { ApplicationFailure } from '@temporalio/activity';
import { ProviderError } from '../providers/errors';

/**
 * Turns a provider error into the activity failure the retry policy acts on: non-retryable for
 * 400/401/403/404 and malformed answers, retryable otherwise, with a 429's Retry-After as the
 * next retry delay. The failure type is the error class name (`ProviderRequestError`, …).
 */
export function toActivityFailure(err: unknown): unknown {
  if (!(err instanceof ProviderError)) return err;
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    nonRetryable: !err.retryable,
    nextRetryDelay: err.retryAfterMs,
    details: [err.toJSON()],
  });
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

import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/**
 * Abuse protection for OTP flows: per-recipient quotas (each phone and each email counted on its
 * own), and per numbering-plan prefix and per country guards against SMS pumping (many sends to
 * one country/operator prefix that never convert into verifications).
 */
export interface LimitPolicy {
  /** OTP flows one phone number or one email address may start per hour / per day. */
  perRecipientHour: number;
  perRecipientDay: number;
  /** OTP flows per numbering-plan prefix (country code + destination code, `+38068`) per hour. */
  perPrefixHour: number;
  /** OTP flows per country calling code (`+380`) per hour: a ceiling over all its prefixes. */
  perCountryHour?: number;
  /**
   * Conversion check over the prefix's last `window` settled flows (at least `minFlows`): block
   * under `minRate`. A flow counts once verified or `settleAfterMs` old (its code has had time).
   */
  conversion: { minFlows: number; window: number; minRate: number; settleAfterMs: number };
  /**
   * The burst rule, before any conversion data exists: a prefix with `maxUnverified` flows started
   * in the last `windowMs` that are older than `graceMs` and still unverified is blocked.
   */
  burst?: { maxUnverified: number; windowMs: number; graceMs: number };
  /** How long a start waits for the guards' answer before it is refused (`guard_unavailable`: fail closed). */
  guardTimeoutMs?: number;
  /** @deprecated Since 0.2.0 prefixes follow the numbering plan; ignored. */
  prefixLength?: number;
}

export const DEFAULT_LIMITS: LimitPolicy = {
  perRecipientHour: 5,
  perRecipientDay: 10,
  perPrefixHour: 1000,
  perCountryHour: 10_000,
  conversion: { minFlows: 50, window: 200, minRate: 0.1, settleAfterMs: 15 * 60_000 },
  burst: { maxUnverified: 30, windowMs: 15 * 60_000, graceMs: 2 * 60_000 },
  guardTimeoutMs: 10_000,
};

export type LimitDecision = { allowed: true } | { allowed: false; reason: string; retryAfterMs?: number };

export interface GuardState {
  key: string;
  blocked: boolean;
  /** Why the last decision was made (blocked, or the last refusal). */
  reason?: string;
  recentFlows: number;
  recentVerified: number;
  conversionRate?: number;
}

/** What one guard counts: a person's phone or email, a numbering-plan prefix, a country calling code. */
export type GuardKind = 'recipient' | 'prefix' | 'country';

export const acquireUpdate = defineUpdate<LimitDecision, [{ policy: LimitPolicy; flowId: string }]>('acquire');
export const verifiedSignal = defineSignal<[{ flowId: string }]>('verified');
export const unblockSignal = defineSignal<[{ by: string; reason?: string }]>('unblock');
export const blockSignal = defineSignal<[{ by: string; reason: string }]>('block');
export const guardStateQuery = defineQuery<GuardState>('guardState');

/** Guards live on the task queue of the flows they protect (one set per deployment). */
export const recipientGuardId = (taskQueue: string, recipientKey: string) =>
  `cascade-guard:${taskQueue}:recipient:${recipientKey}`;
export const prefixGuardId = (taskQueue: string, prefix: string) => `cascade-guard:${taskQueue}:prefix:${prefix}`;
export const countryGuardId = (taskQueue: string, country: string) => `cascade-guard:${taskQueue}:country:${country}`;

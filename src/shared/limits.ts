import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/**
 * Abuse protection for OTP flows: per-recipient quotas and a per-prefix guard against SMS pumping
 * (many sends to one country/operator prefix that never convert into verifications).
 */
export interface LimitPolicy {
  /** OTP flows one recipient may start per hour / per day. */
  perRecipientHour: number;
  perRecipientDay: number;
  /** Phone-number prefix that identifies a country/operator: its first N characters (`+38050`). */
  prefixLength: number;
  /** OTP flows per prefix per hour. */
  perPrefixHour: number;
  /**
   * Conversion check over the prefix's last `window` settled flows (at least `minFlows`): block
   * under `minRate`. A flow counts once verified or `settleAfterMs` old (its code has had time).
   */
  conversion: { minFlows: number; window: number; minRate: number; settleAfterMs: number };
}

export const DEFAULT_LIMITS: LimitPolicy = {
  perRecipientHour: 5,
  perRecipientDay: 10,
  prefixLength: 6,
  perPrefixHour: 1000,
  conversion: { minFlows: 50, window: 200, minRate: 0.1, settleAfterMs: 15 * 60_000 },
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

export const acquireUpdate = defineUpdate<LimitDecision, [{ policy: LimitPolicy; flowId: string }]>('acquire');
export const verifiedSignal = defineSignal<[{ flowId: string }]>('verified');
export const unblockSignal = defineSignal<[{ by: string; reason?: string }]>('unblock');
export const blockSignal = defineSignal<[{ by: string; reason: string }]>('block');
export const guardStateQuery = defineQuery<GuardState>('guardState');

/** Guards live on the task queue of the flows they protect (one set per deployment). */
export const recipientGuardId = (taskQueue: string, recipientKey: string) =>
  `cascade-guard:${taskQueue}:recipient:${recipientKey}`;
export const prefixGuardId = (taskQueue: string, prefix: string) => `cascade-guard:${taskQueue}:prefix:${prefix}`;

export function phonePrefix(phone: string, policy: LimitPolicy): string {
  return phone.slice(0, policy.prefixLength);
}

import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { type LimitVerdict } from './types';

/**
 * Abuse protection for OTP flows: per-recipient quotas (each phone and each email counted on its
 * own), a ceiling per country and per numbering-plan prefix, and a pumping detector per prefix
 * (codes that stop converting into verifications). The counters live in the limit store
 * (src/limits/), never in workflows; see README "Abuse protection" for how to size them.
 */
export interface LimitPolicy {
  /** OTP flows one phone number or one email address may start per hour / per 24 hours. */
  perRecipientHour: number;
  perRecipientDay: number;
  /** OTP flows per numbering-plan prefix (country code + destination code, `+38068`) per hour. */
  perPrefixHour: number;
  /** OTP flows per country calling code (`+380`) per hour: a ceiling over all its prefixes. */
  perCountryHour?: number;
  /**
   * Conversion of settled codes (verified, or older than `settleAfterMs`) started in the last
   * `windowMs`: with at least `minFlows` of them, a rate under `minRate` (the absolute floor) or
   * under `relative` × the prefix's own rate over the previous 24 hours (once that baseline has
   * `baselineMin` codes) trips the prefix.
   */
  conversion: {
    minFlows: number;
    minRate: number;
    settleAfterMs: number;
    windowMs?: number;
    relative?: number;
    baselineMin?: number;
    /** @deprecated Counts of flows no longer judge conversion (`windowMs` does); ignored. */
    window?: number;
  };
  /**
   * The pumping burst, before any code has settled: `maxUnverified` (or `factor` × the prefix's
   * usual codes per `windowMs`, whichever is more) unverified codes started in the last `windowMs`
   * while under `conversion.minRate` of that window's codes were verified trips the prefix.
   */
  burst?: {
    maxUnverified: number;
    windowMs: number;
    factor?: number;
    /** @deprecated The burst counts every unverified code of its window; ignored. */
    graceMs?: number;
  };
  /** How long a tripped prefix stays blocked: the first trip, the second within `tripMemoryMs`, … (the last repeats). */
  blockSchedule?: number[];
  tripMemoryMs?: number;
  /** `monitor`: refuse nothing, report what would have been refused (log, metric, `guard list`). */
  mode?: 'enforce' | 'monitor';
  /**
   * How long a start may wait for the store's answer (and a queued flow for its first workflow
   * task) before it is refused with `guard_unavailable`; `failOpen` allows it instead.
   */
  guardTimeoutMs?: number;
  failOpen?: boolean;
  /** @deprecated Prefixes follow the numbering plan; ignored. */
  prefixLength?: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const DEFAULT_LIMITS: LimitPolicy = {
  perRecipientHour: 5,
  perRecipientDay: 10,
  perPrefixHour: 1000,
  perCountryHour: 10_000,
  conversion: {
    minFlows: 30,
    minRate: 0.1,
    settleAfterMs: 5 * MINUTE,
    windowMs: HOUR,
    relative: 0.4,
    baselineMin: 200,
  },
  burst: { maxUnverified: 60, windowMs: 2 * MINUTE, factor: 10 },
  blockSchedule: [15 * MINUTE, HOUR, 4 * HOUR, 24 * HOUR],
  tripMemoryMs: 7 * 24 * HOUR,
  mode: 'enforce',
  guardTimeoutMs: 10_000,
  failOpen: false,
};

/** A policy with every optional part filled from DEFAULT_LIMITS (a partial burst/conversion merges). */
export function resolvePolicy(policy: LimitPolicy): Required<Omit<LimitPolicy, 'prefixLength'>> & {
  conversion: Required<Omit<LimitPolicy['conversion'], 'window'>>;
  burst: Required<Omit<NonNullable<LimitPolicy['burst']>, 'graceMs'>>;
} {
  const d = DEFAULT_LIMITS;
  return {
    perRecipientHour: policy.perRecipientHour,
    perRecipientDay: policy.perRecipientDay,
    perPrefixHour: policy.perPrefixHour,
    perCountryHour: policy.perCountryHour ?? Number.POSITIVE_INFINITY,
    conversion: { ...(d.conversion as Required<LimitPolicy['conversion']>), ...policy.conversion },
    burst: { ...(d.burst as Required<NonNullable<LimitPolicy['burst']>>), ...policy.burst },
    blockSchedule: policy.blockSchedule?.length ? policy.blockSchedule : d.blockSchedule!,
    tripMemoryMs: policy.tripMemoryMs ?? d.tripMemoryMs!,
    mode: policy.mode ?? 'enforce',
    guardTimeoutMs: policy.guardTimeoutMs ?? d.guardTimeoutMs!,
    failOpen: policy.failOpen ?? false,
  };
}

export type LimitDecision = { allowed: true } | { allowed: false; reason: string; retryAfterMs?: number };

/** A prefix's state as operators see it (`temporal-cascade guard status`). */
export interface GuardState {
  key: string;
  blocked: boolean;
  /** Why it is (or was last) blocked. */
  reason?: string;
  /** When the current block started and ends (epoch ms; absent `until`: until an operator lifts it). */
  since?: number;
  until?: number;
  /** Trips remembered for escalation. */
  trips?: number;
  /** Recorded in monitor mode: it would be refusing. */
  monitor?: boolean;
  /** Codes started / verified in the last hour. */
  recentFlows: number;
  recentVerified: number;
  conversionRate?: number;
}

/** What one guard counts: a person's phone or email, a numbering-plan prefix, a country calling code. */
export type GuardKind = 'recipient' | 'prefix' | 'country';

/**
 * The admission of an OTP flow, asked with Update-with-Start: answered once the flow's first
 * workflow task has asked the limit store. `request` tells a new start from an existing flow.
 */
export const admitUpdate = defineUpdate<LimitVerdict & { started?: boolean }, [{ request?: string }?]>('admit');

// The entity-workflow guards of 0.2.0: kept registered so flows that still ask them finish.
export const acquireUpdate = defineUpdate<LimitDecision, [{ policy: LimitPolicy; flowId: string }]>('acquire');
export const verifiedSignal = defineSignal<[{ flowId: string }]>('verified');
export const unblockSignal = defineSignal<[{ by: string; reason?: string }]>('unblock');
export const blockSignal = defineSignal<[{ by: string; reason: string }]>('block');
export const guardStateQuery = defineQuery<GuardState>('guardState');

export const recipientGuardId = (taskQueue: string, recipientKey: string) =>
  `cascade-guard:${taskQueue}:recipient:${recipientKey}`;
export const prefixGuardId = (taskQueue: string, prefix: string) => `cascade-guard:${taskQueue}:prefix:${prefix}`;
export const countryGuardId = (taskQueue: string, country: string) => `cascade-guard:${taskQueue}:country:${country}`;

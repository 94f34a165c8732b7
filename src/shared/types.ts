import { type DeliveryState, type ProviderName } from './delivery-status';
import { type Channel } from './schemas';

/** One send through one step of the chain, as the result and the `status` query show it. */
export interface Attempt {
  /** Which send of the flow (OTP resends count up from 1). */
  sendNo: number;
  step: number;
  channel: Channel;
  provider: ProviderName;
  providerMessageId?: string;
  /**
   * `timed_out`: no receipt within the step's deliveryTimeout; a late receipt can still settle it.
   * `skipped`: not sent, its provider was unhealthy (see `skipped`).
   */
  status: 'sending' | DeliveryState | 'timed_out' | 'canceled' | 'skipped';
  /** Why the step was not sent: `provider unhealthy`, the breaker that decided, since when and why. */
  skipped?: { reason: 'provider unhealthy'; key: string; state: string; since: string; detail: string };
  rawStatus?: string;
  cost?: number;
  currency?: string;
  /** The channel inside the provider's own cascade that carried it (SMSBAT: viber, sms …). */
  carrier?: string;
  /** What each channel of the provider's cascade did (SMSBAT's fallbacks). */
  fallbacks?: { channel: string; status: string }[];
  /** SMS parts (segments) the message took, as the provider reports it. */
  parts?: number;
  /** The message waits at the provider and a cancel still stops it there. */
  cancellable?: boolean;
  sentAt?: string;
  settledAt?: string;
  error?: { type: string; message: string; nonRetryable: boolean };
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'expired' | 'canceled';

export interface DeliveryResult {
  status: DeliveryOutcome;
  /** The attempt that delivered first (its channel and provider message id). */
  deliveredBy?: { step: number; channel: Channel; providerMessageId?: string };
  attempts: Attempt[];
}

export type FlowPhase = 'scheduled' | 'sending' | 'waiting_for_receipt' | 'done';

export interface DeliveryProgress {
  phase: FlowPhase;
  currentStep?: number;
  currentChannel?: Channel;
  outcome?: DeliveryOutcome;
  attempts: Attempt[];
}

export type OtpStatus = 'pending' | 'approved' | 'expired' | 'too_many_attempts' | 'canceled';

export interface VerifyResult {
  status: 'approved' | 'incorrect' | 'expired' | 'too_many_attempts' | 'canceled';
  attemptsLeft: number;
}

export interface ResendResult {
  sends: number;
  sendsLeft: number;
  step: number;
  /** Epoch ms (workflow time) from which the next resend is accepted. */
  nextResendAt: number;
}

/** What the `state` query shows: never the code. */
export interface OtpState {
  status: OtpStatus;
  expiresAt: number;
  verifyAttempts: number;
  attemptsLeft: number;
  sends: number;
  sendsLeft: number;
  nextResendAt: number;
  delivery: DeliveryProgress;
}

export interface OtpResult {
  status: Exclude<OtpStatus, 'pending'>;
  verifyAttempts: number;
  sends: number;
  attempts: Attempt[];
  /** Approved flows before 0.3: SHA-256 of the seal of the approved code. Since, codes are single-use and it is not kept. */
  approvedVerifier?: string;
}

export interface BulkProgress {
  total: number;
  sent: number;
  delivered: number;
  failed: number;
  /** Sent, no final status yet. */
  pending: number;
  /** Not sent yet. */
  queued: number;
  /** Refused by the provider as sent (a bad number, a text it will not take): never sent. Counted in `failed` too. */
  invalid?: number;
  /**
   * Since 0.3.0: the send's answer was lost (a timeout, a gateway's 502/504, a worker lost mid-request)
   * and the provider cannot be asked whether it took them (SMSBAT): maybe sent, never re-sent.
   * Counted in neither `sent` nor `failed`.
   */
  unknown?: number;
  paused: boolean;
  /** Since 0.3.0: why the campaign paused when it paused itself (`provider unavailable`). */
  pausedReason?: string;
  canceled: boolean;
}

/** The compact per-message record a bulk chunk keeps (and returns). */
export interface BulkMessageState {
  id: string;
  providerMessageId?: string;
  /**
   * `invalid`: refused by the provider as sent, with its error; never sent. `queued` with an
   * `error`: failed retryably, sent again on a later pass. `unknown`: its send's answer was lost
   * and the provider cannot be asked (never re-sent unless the campaign opts in).
   */
  state: 'queued' | 'pending' | 'delivered' | 'failed' | 'invalid' | 'unknown';
  error?: string;
  /** `queued` after a send that was lost mid-request: the next pass asks the provider before sending. */
  lost?: boolean;
}

/** A bulk message's receipt, as the webhook receiver hands them to its chunk in batches. */
export interface BulkReceipt {
  /** The message's index in its chunk. */
  slot: number;
  providerMessageId: string;
  state: 'delivered' | 'failed';
  rawStatus: string;
}

/** What the abuse guards answered for one OTP flow. */
export type LimitVerdict =
  | {
      allowed: true;
      /** 0.2.0 flows only: the prefix guard told when the code converts. */
      prefixGuardId?: string;
      /** Monitor mode: what enforcing would have refused. */
      monitor?: { scope: 'recipient' | 'prefix' | 'country'; reason: string };
      /** The store did not answer in time and the policy fails open. */
      unchecked?: boolean;
      /** The channel of the first step, the one the code goes out on first. */
      channel?: string;
    }
  | {
      allowed: false;
      /** Which guard refused; `guard_unavailable` when none answered in time (fail closed). */
      scope: 'recipient' | 'prefix' | 'country';
      reason: string;
      retryAfterMs?: number;
    };

import { type DeliveryStatus, type ProviderName } from '../shared/delivery-status';
import { type BulkMessage, type Recipient, type Step } from '../shared/schemas';
import { type BulkMessageState, type LimitVerdict } from '../shared/types';

export type BulkStep = Extract<Step, { channel: 'smsbat' | 'reach' }>;

/** What a step sends: plain text, or an OTP whose code the activity derives (never the workflow). */
export type MessageContent =
  | { kind: 'text'; text: string }
  | {
      kind: 'otp';
      template: string;
      codeLength: number;
      appName?: string;
      /** The reference the code derives from (since 0.3); before, the code derived from the run id. */
      codeRef?: string;
    };

export interface SendStepInput {
  step: Step;
  stepIndex: number;
  recipient: Recipient;
  content: MessageContent;
  /**
   * Stable per (flow, send, step): SMSBAT's tracking `id`, Reach's `bulkIdentifier` (looked up
   * before a retried send), the email Message-ID. A retried activity reuses it.
   */
  idempotencyKey: string;
  /** How long the provider may keep trying this step (its deliveryTimeout, capped by the flow's TTL), seconds. */
  expirySeconds?: number;
  /** Before 0.2.0: what was left of the flow's TTL (still read from the inputs of sends scheduled then). */
  ttlSeconds?: number;
  /** Workflow time the send was decided at: a send that starts much later may be a repeat after a lost worker. */
  scheduledAt?: number;
  /**
   * Present when the flow routes by provider health: whether this step may be skipped when its
   * provider is unhealthy (never the last step of the chain). Absent: the step always sends.
   */
  health?: { skippable: boolean };
}

/** A step not sent because its provider's breaker is open (or it was half-open and out of probes). */
export interface SendStepSkipped {
  skipped: {
    reason: 'provider unhealthy';
    /** The health key whose breaker decided (`smsbat`, `smsbat/standard/+380` …). */
    key: string;
    state: 'open' | 'half_open' | 'closed';
    /** When that breaker changed state (ISO 8601). */
    since: string;
    /** Why it opened, as the breaker recorded it (`83 % of 12 flows' sends failed …`, `forced open by an operator`). */
    detail: string;
  };
}

export interface SendStepResult {
  provider: ProviderName;
  providerMessageId: string;
  /** The status the provider answered the send with (email: delivered at once). */
  initial: DeliveryStatus;
  sentAt: string;
  /** True when a retried send found the message already accepted and adopted it. */
  adopted?: boolean;
  /** True when the provider will push this message's receipt to the webhook receiver. */
  receiptPushed?: boolean;
  /** Receipts that reached the receiver before this send recorded its message id (the race it covers). */
  early?: DeliveryStatus[];
  /** The message waits at the provider and can still be cancelled there. */
  cancellable?: boolean;
}

export interface CheckDeliveryInput {
  provider: ProviderName;
  providerMessageId: string;
}

export interface PrepareOtpInput {
  codeLength: number;
  /**
   * Since 0.3: derive the code from a random reference this call draws (and returns, for history)
   * instead of the run id, so a reset to any event keeps the code the kept verifier belongs to.
   */
  withRef?: boolean;
}

export interface PreparedOtp {
  verifier: string;
  /** The non-secret reference the code derives from (with the worker's secret); absent before 0.3. */
  ref?: string;
}

export interface AcquireOtpLimitsInput {
  recipient: Recipient;
  /** The run's start (epoch ms): a run that waited longer than the policy's guardTimeoutMs for a worker is refused. */
  startedAt?: number;
  /** 0.2.0 flows sent the client's keyed proof; it is ignored (the store is asked whatever it says). */
  proof?: string;
}

export interface CheckInputInput {
  kind: 'deliverMessage' | 'otpVerification' | 'bulkSend';
  input: unknown;
}

/**
 * The prefix of the names flows started since 0.3 call our activities by, so they never meet a
 * host activity called `sendStep`. The bare names stay registered for flows recorded with them.
 */
export const ACTIVITY_PREFIX = 'cascade.';

/** The activities under their prefixed names (`cascade.sendStep`, …). */
export type PrefixedActivities = { [K in keyof CascadeActivities as `cascade.${K}`]: CascadeActivities[K] };

export interface CascadeActivities {
  /** Validates a flow's input with the schemas (defaults applied) when CascadeClient did not. */
  checkInput(input: CheckInputInput): Promise<unknown>;
  sendStep(input: SendStepInput): Promise<SendStepResult | SendStepSkipped>;
  checkDelivery(input: CheckDeliveryInput): Promise<DeliveryStatus>;
  cancelScheduled(input: CheckDeliveryInput): Promise<DeliveryStatus | undefined>;
  /** Derives this flow's code and returns only the SHA-256 of its seal. */
  prepareOtpVerifier(input: PrepareOtpInput): Promise<PreparedOtp>;
  /** Asks the limit store whether this OTP run may send (asked again for the same run, the same answer). */
  acquireOtpLimits(input: AcquireOtpLimitsInput): Promise<LimitVerdict>;
  /** Records that this run's code was verified (the conversion the pumping rules judge). */
  recordOtpConversion(): Promise<boolean>;
  /** Sends up to one provider request's worth of messages; one state per message, in order. */
  sendBulkBatch(input: SendBulkBatchInput): Promise<SendBulkBatchResult>;
  /** Final-or-not states of sent messages, in order. */
  checkBulkStatuses(input: CheckBulkStatusesInput): Promise<BulkMessageState['state'][]>;
  countBulkSource(source: BulkSource): Promise<number>;
  /** Since 0.3.0: counts a campaign file and pins its content (SHA-256), parsing it once per worker. */
  pinBulkSource(source: BulkSource): Promise<{ total: number; sha256?: string }>;
}

/** Where a bulk chunk's messages come from: inline (its own slice) or a file the worker reads. */
export type BulkSource =
  | { kind: 'inline'; messages: BulkMessage[] }
  /** `sha256`: since 0.3.0 the file is pinned by content when the campaign starts; a changed file stops it. */
  | { kind: 'file'; path: string; format?: 'csv' | 'jsonl'; sha256?: string };

export interface SendBulkBatchInput {
  bulkId: string;
  step: BulkStep;
  source: BulkSource;
  /** Index of the first message within the source. */
  offset: number;
  count: number;
  /** Index of the first message within its chunk: the slot its receipts are routed to. */
  slot?: number;
  /**
   * Since 0.3.0: failures come back as message states (retryable ones `queued`, lost answers
   * `unknown`) instead of failing the activity, and a retried attempt never re-posts blindly.
   */
  v3?: boolean;
  /** Only these messages of the range (indices from `offset`): a later pass over the retryable ones. */
  indices?: number[];
  /** Their slots in the chunk, when they are not the range from `slot` on. */
  slots?: number[];
  /** The pass over these messages (1 on the first send): later passes look a message up first where the provider can. */
  pass?: number;
  /** Their previous send was lost mid-request: treated as a retried attempt (looked up, or `unknown`). */
  lost?: boolean;
  /** SMSBAT: re-send messages whose answer was lost (may send twice) instead of reporting them `unknown`. */
  resendUnknown?: boolean;
}

/** Before 0.2.0 a batch answered its states alone; since, with whether receipts are pushed to the chunk. */
export type SendBulkBatchResult = BulkMessageState[] | { states: BulkMessageState[]; receiptsPushed: boolean };

export interface CheckBulkStatusesInput {
  provider: 'smsbat' | 'reach';
  providerMessageIds: string[];
}

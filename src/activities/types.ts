import { type DeliveryStatus, type ProviderName } from '../shared/delivery-status';
import { type BulkMessage, type Recipient, type Step } from '../shared/schemas';
import { type BulkMessageState, type LimitVerdict } from '../shared/types';

export type BulkStep = Extract<Step, { channel: 'smsbat' | 'reach' }>;

/** What a step sends: plain text, or an OTP whose code the activity derives (never the workflow). */
export type MessageContent =
  { kind: 'text'; text: string } | { kind: 'otp'; template: string; codeLength: number; appName?: string };

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
}

export interface AcquireOtpLimitsInput {
  recipient: Recipient;
  /** Set by CascadeClient.startOtp once the guards allowed this flow (see AbuseGuard.proof). */
  proof?: string;
}

export interface CheckInputInput {
  kind: 'deliverMessage' | 'otpVerification' | 'bulkSend';
  input: unknown;
}

export interface CascadeActivities {
  /** Validates a flow's input with the schemas (defaults applied) when CascadeClient did not. */
  checkInput(input: CheckInputInput): Promise<unknown>;
  sendStep(input: SendStepInput): Promise<SendStepResult>;
  checkDelivery(input: CheckDeliveryInput): Promise<DeliveryStatus>;
  cancelScheduled(input: CheckDeliveryInput): Promise<DeliveryStatus | undefined>;
  /** Derives this flow's code and returns only the SHA-256 of its seal. */
  prepareOtpVerifier(input: PrepareOtpInput): Promise<{ verifier: string }>;
  /** Asks the abuse guards whether this OTP flow may send (idempotent per flow: a client's earlier check counts). */
  acquireOtpLimits(input: AcquireOtpLimitsInput): Promise<LimitVerdict>;
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

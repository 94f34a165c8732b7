import { type DeliveryStatus, type ProviderName } from '../shared/delivery-status';
import { type BulkMessage, type Recipient, type Step } from '../shared/schemas';
import { type BulkMessageState } from '../shared/types';

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
  /** What is left of the flow's TTL, passed on to the provider. */
  ttlSeconds?: number;
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
}

export interface CheckDeliveryInput {
  provider: ProviderName;
  providerMessageId: string;
}

export interface PrepareOtpInput {
  codeLength: number;
}

export interface CascadeActivities {
  sendStep(input: SendStepInput): Promise<SendStepResult>;
  checkDelivery(input: CheckDeliveryInput): Promise<DeliveryStatus>;
  cancelScheduled(input: CheckDeliveryInput): Promise<DeliveryStatus | undefined>;
  /** Derives this flow's code and returns only the SHA-256 of its seal. */
  prepareOtpVerifier(input: PrepareOtpInput): Promise<{ verifier: string }>;
  /** Sends up to one provider request's worth of messages; one state per message, in order. */
  sendBulkBatch(input: SendBulkBatchInput): Promise<BulkMessageState[]>;
  /** Final-or-not states of sent messages, in order. */
  checkBulkStatuses(input: CheckBulkStatusesInput): Promise<BulkMessageState['state'][]>;
  countBulkSource(source: BulkSource): Promise<number>;
}

/** Where a bulk chunk's messages come from: inline (its own slice) or a file the worker reads. */
export type BulkSource =
  { kind: 'inline'; messages: BulkMessage[] } | { kind: 'file'; path: string; format?: 'csv' | 'jsonl' };

export interface SendBulkBatchInput {
  bulkId: string;
  step: BulkStep;
  source: BulkSource;
  /** Index of the first message within the source. */
  offset: number;
  count: number;
}

export interface CheckBulkStatusesInput {
  provider: 'smsbat' | 'reach';
  providerMessageIds: string[];
}

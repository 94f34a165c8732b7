import { type DeliveryStatus, type ProviderName } from '../shared/delivery-status';
import { type Recipient, type Step } from '../shared/schemas';

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
  /** Derives this flow's code and returns only its sealed verifier. */
  prepareOtpVerifier(input: PrepareOtpInput): Promise<{ verifier: string }>;
}

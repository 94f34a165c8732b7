import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { type DeliveryStatus } from './delivery-status';
import {
  type BulkMessageState,
  type BulkProgress,
  type BulkReceipt,
  type DeliveryProgress,
  type OtpState,
  type ResendResult,
  type VerifyResult,
} from './types';

/** A delivery receipt for one provider message (webhook receiver → workflow). */
export const receiptSignal = defineSignal<[DeliveryStatus]>('receipt');
/** Stop before the next send; a message still scheduled at the provider is cancelled there. */
export const cancelSignal = defineSignal<[{ reason?: string }?]>('cancel');
export const statusQuery = defineQuery<DeliveryProgress>('status');

/**
 * `code` is a *sealed* code (see `sealOtpCode`): a keyed digest, so the code a user typed never
 * reaches workflow history in plaintext. The validator refuses anything else without spending
 * an attempt.
 */
export const verifyUpdate = defineUpdate<VerifyResult, [{ code: string }]>('verify');
export const resendUpdate = defineUpdate<ResendResult, [{ nextStep?: boolean }]>('resend');
export const stateQuery = defineQuery<OtpState>('state');

/** Receipt router: the send activity names the workflow that owns a provider message id. */
export function receiptRouterId(provider: string, providerMessageId: string): string {
  return `cascade-receipt:${provider}:${providerMessageId}`;
}
export const receiptOwnerSignal = defineSignal<[{ workflowId: string }]>('owner');

/** Error types (ApplicationFailure `type`) callers can switch on. */
export const ErrorTypes = {
  invalidInput: 'CascadeInvalidInput',
  resendRefused: 'CascadeResendRefused',
  invalidCode: 'CascadeInvalidCodeFormat',
  /** An OTP flow the abuse guards refused (its details: the LimitVerdict). */
  limitExceeded: 'CascadeLimitExceeded',
  /** A `bulkChunk` started on its own: chunks run only as children of a `bulkSend` campaign. */
  chunkOutsideCampaign: 'CascadeChunkOutsideCampaign',
} as const;

/** Bulk receipts, batched by the webhook receiver for one chunk (not a signal per message). */
export const bulkReceiptsSignal = defineSignal<[BulkReceipt[]]>('bulkReceipts');

/** Sealed OTP codes: `otp1.<length>.<43 chars of base64url HMAC-SHA256>`. */
export const SEALED_CODE = /^otp1\.(\d{1,2})\.[A-Za-z0-9_-]{43}$/;

/** Bulk sends: pause and resume between batches; progress counts. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const progressQuery = defineQuery<BulkProgress>('progress');
export const bulkMessagesQuery = defineQuery<BulkMessageState[]>('messages');

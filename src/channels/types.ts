import { type ProviderError } from '../providers/errors';
import { type DeliveryStatus } from '../shared/delivery-status';
import { type Channel, type Recipient, type Step } from '../shared/schemas';

/** One message to send through a channel, already rendered. */
export interface SendRequest<S extends Step = Step> {
  step: S;
  recipient: Recipient;
  text: string;
  /** Stable per (flow, send, step): reused by a retried activity, so a provider that can look it up adopts the first send. */
  idempotencyKey: string;
  /** The activity attempt (1 on the first try). */
  attempt: number;
  /** How long the provider may keep trying, seconds (our step gives up then; see the README's fallback section). */
  expirySeconds?: number;
  /** The workflow that owns the message, for channels whose receipt URL names it. */
  owner: string;
  /** What the message is, for channels that want a title (an email's subject when the step names none). */
  title: string;
}

export interface Sent {
  providerMessageId: string;
  /** What the provider answered the send with (email: delivered at once). */
  initial: DeliveryStatus;
  /** A retried send found the message already accepted and adopted it. */
  adopted?: boolean;
  /** The message waits at the provider (scheduled) and `cancel` can still stop it. */
  cancellable?: boolean;
}

/** One message of a bulk batch. */
export interface BatchMessage {
  id: string;
  phone: string;
  text: string;
  /** Its slot in the chunk, when the batch is not a contiguous range (a retry pass). */
  slot?: number;
}

export interface BatchRequest<S extends Step = Step> {
  step: S;
  bulkId: string;
  messages: BatchMessage[];
  attempt: number;
  /** The bulk chunk that owns the messages, and the first message's slot in it (for callback URLs). */
  owner: string;
  firstSlot: number;
  /**
   * Aborted when this attempt no longer counts (its heartbeat timed out and another attempt took
   * over): no request starts after it, so the two never send the same message side by side.
   */
  signal?: AbortSignal;
}

export type BatchResult = { ok: true; providerMessageId: string } | { ok: false; error: ProviderError };

/**
 * One channel, behind one interface (in the manner of Novu's provider packages): its provider
 * client, its status table and its quirks stay inside its adapter; callers look adapters up by
 * channel and never switch on a provider's name. Adapters know nothing of Temporal.
 */
export interface ChannelAdapter<S extends Step = Step> {
  readonly channel: Channel;
  /**
   * How receipts reach the webhook receiver: `index` (the provider's webhook names only its own
   * message id, so senders record it in the receipt index), `callback` (each message names its
   * flow in a signed URL), `none` (the send itself is the only answer: SMTP).
   */
  readonly receipts: 'index' | 'callback' | 'none';
  /** For `callback` channels: whether messages carry a callback URL (the receiver is configured). */
  readonly callbacks?: boolean;
  /**
   * Whether a retried batch (attempt > 1) asks the provider which of its messages it already took
   * before sending again (Reach, by `bulkIdentifier`). Without it a lost answer cannot be reconciled.
   */
  readonly batchLookup?: boolean;
  /**
   * Whether a retried send (attempt > 1) asks the provider for the message it may already have
   * taken, by idempotency key, and adopts it (Reach). Without it a retry after a lost answer sends again.
   */
  readonly sendLookup?: boolean;
  send(request: SendRequest<S>): Promise<Sent>;
  /** Many messages in one provider request where the provider has one (else one request each). */
  sendBatch?(request: BatchRequest<S>): Promise<BatchResult[]>;
  status(providerMessageId: string): Promise<DeliveryStatus>;
  /** Stops a message still waiting at the provider; undefined where the channel cannot. */
  cancel?(providerMessageId: string): Promise<DeliveryStatus | undefined>;
}

/** A channel the worker has no credentials for. */
export class ChannelNotConfiguredError extends Error {
  constructor(readonly channel: Channel) {
    super(`channel ${channel} is not configured on this worker (no credentials in its environment)`);
    this.name = 'ChannelNotConfiguredError';
  }
}

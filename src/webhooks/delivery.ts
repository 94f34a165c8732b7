import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type DeliveryStatus } from '../shared/delivery-status';
import { bulkReceiptsSignal, receiptSignal } from '../shared/messages';
import { type BulkReceipt } from '../shared/types';

/** Receipts already forwarded, remembered so replays and provider retries cost nothing. */
const REMEMBERED = 100_000;
/**
 * Distinct status words forwarded per message, whatever they are: a message has a handful in its
 * life (accepted, sent, delivered), so a receipt source inventing words cannot grow a flow's
 * history beyond this many signals per message.
 */
export const WORDS_PER_MESSAGE = 8;
/** A chunk's receipts are gathered this long (or up to BATCH_MAX) into one signal. */
const BATCH_WAIT_MS = 200;
const BATCH_MAX = 500;

export type Forwarded = 'forwarded' | 'duplicate' | 'closed';

interface Batch {
  items: BulkReceipt[];
  done: Promise<Forwarded>;
  release(): void;
}

/**
 * Hands receipts to the workflows that own them: a single-message flow gets its receipt as a
 * `receipt` signal, each (message, status word) at most once per receiver and at most
 * WORDS_PER_MESSAGE words per message, known words or unknown alike (replayed callbacks and
 * retried webhooks do not grow its history); a bulk chunk gets its messages' receipts gathered into one
 * `bulkReceipts` signal every BATCH_WAIT_MS, not a signal per message. The provider's request is
 * answered once its receipt is in Temporal, so a failure answers 503 and the provider retries.
 */
export class ReceiptDelivery {
  private readonly seen = new Map<string, true>();
  /** Words forwarded per message (provider:id), oldest messages forgotten first. */
  private readonly words = new Map<string, number>();
  private readonly sending = new Map<string, Promise<Forwarded>>();
  private readonly batches = new Map<string, Batch>();

  /** `observe`: called once per receipt this receiver forwards to its flow, or finds its flow ended (provider health). */
  constructor(
    private readonly client: Client,
    private readonly observe?: (status: DeliveryStatus) => void,
  ) {}

  async toFlow(workflowId: string, status: DeliveryStatus): Promise<Forwarded> {
    const message = `${status.provider}:${status.providerMessageId}`;
    const key = `${message}:${status.rawStatus.toLowerCase()}`;
    if (this.seen.has(key)) return 'duplicate';
    // A replay that arrives while the first copy is still being signalled waits for it (and fails
    // with it, so the provider retries): concurrent copies must not each reach the flow.
    const pending = this.sending.get(key);
    if (pending) {
      await pending;
      return 'duplicate';
    }
    if ((this.words.get(message) ?? 0) >= WORDS_PER_MESSAGE) return 'duplicate';
    // The word counts from now, so concurrent new words cannot pass the cap together.
    this.count(message, 1);
    const sent = this.signal(workflowId, status);
    this.sending.set(key, sent);
    let result: Forwarded | undefined;
    try {
      result = await sent;
      // A receipt for a flow that already ended (an OTP verified before its receipt came) still
      // says the provider delivered: health that missed it would call a fast conversion silence.
      if (result === 'forwarded' || result === 'closed') {
        this.remember(key);
        this.observe?.(status);
      }
      return result;
    } finally {
      this.sending.delete(key);
      if (result !== 'forwarded' && result !== 'closed') this.count(message, -1);
    }
  }

  private async signal(workflowId: string, status: DeliveryStatus): Promise<Forwarded> {
    try {
      await this.client.workflow.getHandle(workflowId).signal(receiptSignal, status);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'closed';
      throw err;
    }
    return 'forwarded';
  }

  /** Resolves once the batch holding this receipt reached the chunk. */
  toBulk(workflowId: string, receipt: BulkReceipt): Promise<Forwarded> {
    let batch = this.batches.get(workflowId);
    if (!batch) {
      let release!: () => void;
      const ready = new Promise<void>((resolve) => (release = resolve));
      const timer = setTimeout(release, BATCH_WAIT_MS);
      const created: Batch = { items: [], done: undefined as unknown as Promise<Forwarded>, release: () => {} };
      created.release = () => {
        clearTimeout(timer);
        release();
      };
      created.done = ready.then(() => this.send(workflowId, created));
      batch = created;
      this.batches.set(workflowId, batch);
    }
    batch.items.push(receipt);
    if (batch.items.length >= BATCH_MAX) batch.release();
    return batch.done;
  }

  private async send(workflowId: string, batch: Batch): Promise<Forwarded> {
    if (this.batches.get(workflowId) === batch) this.batches.delete(workflowId);
    try {
      await this.client.workflow.getHandle(workflowId).signal(bulkReceiptsSignal, batch.items);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'closed';
      throw err;
    }
    return 'forwarded';
  }

  private remember(key: string): void {
    this.seen.set(key, true);
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
  }

  private count(message: string, delta: number): void {
    const n = (this.words.get(message) ?? 0) + delta;
    if (n <= 0) this.words.delete(message);
    else this.words.set(message, n);
    if (this.words.size > REMEMBERED) this.words.delete(this.words.keys().next().value!);
  }
}

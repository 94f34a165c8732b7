import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type DeliveryStatus } from '../shared/delivery-status';
import { bulkReceiptsSignal, receiptSignal } from '../shared/messages';
import { type BulkReceipt } from '../shared/types';

/** Settled receipts already forwarded, remembered so replays and provider retries cost nothing. */
const REMEMBERED = 100_000;
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
 * `receipt` signal (a settled one at most once per receiver: replayed callbacks and retried
 * webhooks do not grow its history); a bulk chunk gets its messages' receipts gathered into one
 * `bulkReceipts` signal every BATCH_WAIT_MS, not a signal per message. The provider's request is
 * answered once its receipt is in Temporal, so a failure answers 503 and the provider retries.
 */
export class ReceiptDelivery {
  private readonly seen = new Map<string, true>();
  private readonly sending = new Map<string, Promise<Forwarded>>();
  private readonly batches = new Map<string, Batch>();

  /** `observe`: called once per settled receipt this receiver forwards to its flow (provider health). */
  constructor(
    private readonly client: Client,
    private readonly observe?: (status: DeliveryStatus) => void,
  ) {}

  async toFlow(workflowId: string, status: DeliveryStatus): Promise<Forwarded> {
    const key = `${status.provider}:${status.providerMessageId}:${status.rawStatus.toLowerCase()}`;
    const settled = status.state === 'delivered' || status.state === 'failed';
    if (!settled) return this.signal(workflowId, status);
    if (this.seen.has(key)) return 'duplicate';
    // A replay that arrives while the first copy is still being signalled waits for it (and fails
    // with it, so the provider retries): concurrent copies must not each reach the flow.
    const pending = this.sending.get(key);
    if (pending) {
      await pending;
      return 'duplicate';
    }
    const sent = this.signal(workflowId, status);
    this.sending.set(key, sent);
    try {
      const result = await sent;
      if (result === 'forwarded') {
        this.remember(key);
        this.observe?.(status);
      }
      return result;
    } finally {
      this.sending.delete(key);
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
}

import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { type SignalDefinition } from '@temporalio/common';
import { type DeliveryStatus, type ProviderName } from '../shared/delivery-status';
import { receiptOwnerSignal, receiptRouterId, receiptSignal } from '../shared/messages';
import { type receiptRouter } from '../workflows/receipt-router';

/**
 * Both halves of receipt routing for providers whose webhooks carry only their own message id
 * (SMSBAT): the send activity claims the id for its workflow, the webhook receiver routes the
 * receipt; each signal-with-starts the same router, so either may come first.
 */
export class ReceiptRoutes {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  async claim(provider: ProviderName, providerMessageId: string, workflowId: string): Promise<void> {
    await this.signalRouter(provider, providerMessageId, receiptOwnerSignal, { workflowId });
  }

  /** Returns false when the message's router has already finished (a duplicate, or too late). */
  async route(status: DeliveryStatus): Promise<boolean> {
    return this.signalRouter(status.provider, status.providerMessageId, receiptSignal, status);
  }

  private async signalRouter<T>(
    provider: ProviderName,
    providerMessageId: string,
    signal: SignalDefinition<[T]>,
    arg: T,
  ): Promise<boolean> {
    try {
      await this.client.workflow.signalWithStart<typeof receiptRouter, [T]>('receiptRouter', {
        workflowId: receiptRouterId(provider, providerMessageId),
        taskQueue: this.taskQueue,
        signal,
        signalArgs: [arg],
        // A finished router means the final receipt was already forwarded: never start it again.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `${provider} receipts for ${providerMessageId}`,
      });
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw err;
    }
  }
}

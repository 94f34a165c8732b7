import { createHmac } from 'node:crypto';
import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import {
  acquireUpdate,
  blockSignal,
  guardStateQuery,
  phonePrefix,
  prefixGuardId,
  recipientGuardId,
  unblockSignal,
  type GuardState,
  type LimitPolicy,
} from '../shared/limits';
import { type Recipient } from '../shared/schemas';
import { type abuseGuard } from '../workflows/abuse-guard';
import { CascadeLimitError } from './errors';

/**
 * Asks the durable guards whether one more OTP flow may start (recipient quota, then the phone
 * prefix's guard), before any provider is paid. Recipients are keyed by an HMAC, so guard ids
 * and search reveal no phone numbers or emails.
 */
export class AbuseGuard {
  constructor(
    private readonly client: Client,
    private readonly options: { taskQueue: string; policy: LimitPolicy; secret: string },
  ) {}

  recipientKey(recipient: Recipient): string {
    const who = recipient.phone ?? recipient.email ?? '';
    return createHmac('sha256', this.options.secret).update(`recipient|${who}`).digest('base64url').slice(0, 32);
  }

  prefixGuardId(prefix: string): string {
    return prefixGuardId(this.options.taskQueue, prefix);
  }

  prefixOf(recipient: Recipient): string | undefined {
    return recipient.phone ? phonePrefix(recipient.phone, this.options.policy) : undefined;
  }

  /** Throws CascadeLimitError when refused; records the flow otherwise. */
  async acquire(recipient: Recipient, flowId: string): Promise<void> {
    await this.ask('recipient', recipientGuardId(this.options.taskQueue, this.recipientKey(recipient)), flowId);
    const prefix = this.prefixOf(recipient);
    if (prefix) await this.ask('prefix', this.prefixGuardId(prefix), flowId);
  }

  async state(prefix: string): Promise<GuardState> {
    return this.client.workflow.getHandle(this.prefixGuardId(prefix)).query(guardStateQuery);
  }

  async unblockPrefix(prefix: string, by: string, reason?: string): Promise<void> {
    await this.start('prefix', this.prefixGuardId(prefix), unblockSignal, { by, reason });
  }

  async blockPrefix(prefix: string, by: string, reason: string): Promise<void> {
    await this.start('prefix', this.prefixGuardId(prefix), blockSignal, { by, reason });
  }

  private async ask(kind: 'recipient' | 'prefix', workflowId: string, flowId: string): Promise<void> {
    const decision = await this.client.workflow.executeUpdateWithStart(acquireUpdate, {
      args: [{ policy: this.options.policy, flowId }],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof abuseGuard>('abuseGuard', {
        workflowId,
        taskQueue: this.options.taskQueue,
        args: [kind],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `abuse guard (${kind})`,
      }),
    });
    if (!decision.allowed) throw new CascadeLimitError(kind, decision.reason, decision.retryAfterMs);
  }

  private async start<T>(
    kind: 'prefix',
    workflowId: string,
    signal: typeof unblockSignal | typeof blockSignal,
    arg: T,
  ) {
    await this.client.workflow.signalWithStart<typeof abuseGuard, [T]>('abuseGuard', {
      workflowId,
      taskQueue: this.options.taskQueue,
      args: [kind],
      signal: signal as never,
      signalArgs: [arg],
    });
  }
}

import { createHmac } from 'node:crypto';
import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import { normalizeEmail, normalizePhone } from '../otp/recipients';
import { secretsEqual } from '../security/constant-time';
import {
  acquireUpdate,
  blockSignal,
  countryGuardId,
  guardStateQuery,
  prefixGuardId,
  recipientGuardId,
  unblockSignal,
  type GuardKind,
  type GuardState,
  type LimitPolicy,
} from '../shared/limits';
import { type Recipient } from '../shared/schemas';
import { type LimitVerdict } from '../shared/types';
import { type abuseGuard } from '../workflows/abuse-guard';
import { CascadeLimitError } from './errors';

const DEFAULT_GUARD_TIMEOUT_MS = 10_000;

/**
 * Asks the durable guards whether one more OTP flow may start, before any provider is paid: the
 * phone's and the email's quotas (each its own), then the country's ceiling, then the
 * numbering-plan prefix (volume, conversion, bursts). Recipients are normalised (see
 * otp/recipients.ts) and keyed by an HMAC, so guard ids and search reveal no phone numbers or
 * emails. A guard that does not answer within the policy's `guardTimeoutMs` refuses (fail closed).
 * Used by CascadeClient.startOtp and, through an activity, by otpVerification itself.
 */
export class AbuseGuard {
  constructor(
    private readonly client: Client,
    private readonly options: { taskQueue: string; policy: LimitPolicy; secret: string },
  ) {}

  /** The guard keys of a recipient: one per phone and per email. */
  recipientKeys(recipient: Recipient): string[] {
    const who = [
      recipient.phone && `phone|${normalizePhone(recipient.phone).e164}`,
      recipient.email && `email|${normalizeEmail(recipient.email)}`,
    ];
    return who.filter((w): w is string => Boolean(w)).map((w) => this.hmac(`recipient|${w}`).slice(0, 32));
  }

  prefixGuardId(prefix: string): string {
    return prefixGuardId(this.options.taskQueue, prefix);
  }

  /** The numbering-plan prefix of the recipient's phone (`+38068`), if it has one. */
  prefixOf(recipient: Recipient): string | undefined {
    return recipient.phone ? normalizePhone(recipient.phone).prefix : undefined;
  }

  /** Throws CascadeLimitError when refused; records the flow with every guard otherwise. */
  async acquire(recipient: Recipient, flowId: string): Promise<void> {
    const verdict = await this.decide(recipient, flowId);
    if (!verdict.allowed) throw new CascadeLimitError(verdict.scope, verdict.reason, verdict.retryAfterMs);
  }

  /** The guards' answer for one flow; asking again for the same flow answers as before, counting it once. */
  async decide(recipient: Recipient, flowId: string): Promise<LimitVerdict> {
    const { taskQueue } = this.options;
    const asks: [GuardKind, string][] = this.recipientKeys(recipient).map((k) => [
      'recipient',
      recipientGuardId(taskQueue, k),
    ]);
    const phone = recipient.phone ? normalizePhone(recipient.phone) : undefined;
    if (phone) {
      asks.push(['country', countryGuardId(taskQueue, phone.country)]);
      asks.push(['prefix', this.prefixGuardId(phone.prefix)]);
    }
    // One at a time: a recipient over its quota must not count against its prefix's bursts.
    for (const [kind, workflowId] of asks) {
      const verdict = await this.ask(kind, workflowId, flowId);
      if (!verdict.allowed) return verdict;
    }
    return { allowed: true, ...(phone ? { prefixGuardId: this.prefixGuardId(phone.prefix) } : {}) };
  }

  /**
   * What the client puts in an OTP input once the guards allowed it, so the flow need not ask them
   * again: a keyed digest of the flow id and recipient, which only a holder of the secret can make.
   */
  proof(recipient: Recipient, flowId: string): string {
    return this.hmac(`limits-checked|${flowId}|${this.recipientKeys(recipient).join(',')}`);
  }

  verifyProof(recipient: Recipient, flowId: string, proof: string): boolean {
    return secretsEqual(this.proof(recipient, flowId), proof);
  }

  async state(prefix: string): Promise<GuardState> {
    return this.client.workflow.getHandle(this.prefixGuardId(prefix)).query(guardStateQuery);
  }

  async unblockPrefix(prefix: string, by: string, reason?: string): Promise<void> {
    await this.start(this.prefixGuardId(prefix), unblockSignal, { by, reason });
  }

  async blockPrefix(prefix: string, by: string, reason: string): Promise<void> {
    await this.start(this.prefixGuardId(prefix), blockSignal, { by, reason });
  }

  private hmac(data: string): string {
    return createHmac('sha256', this.options.secret).update(data).digest('base64url');
  }

  private async ask(kind: GuardKind, workflowId: string, flowId: string): Promise<LimitVerdict> {
    const timeoutMs = this.options.policy.guardTimeoutMs ?? DEFAULT_GUARD_TIMEOUT_MS;
    const scope = kind;
    try {
      const decision = await this.client.connection.withDeadline(Date.now() + timeoutMs, () =>
        this.client.workflow.executeUpdateWithStart(acquireUpdate, {
          args: [{ policy: this.options.policy, flowId }],
          startWorkflowOperation: new WithStartWorkflowOperation<typeof abuseGuard>('abuseGuard', {
            workflowId,
            taskQueue: this.options.taskQueue,
            args: [kind],
            workflowIdConflictPolicy: 'USE_EXISTING',
            staticSummary: `abuse guard (${kind})`,
          }),
        }),
      );
      if (decision.allowed) return { allowed: true };
      return { allowed: false, scope, reason: decision.reason, retryAfterMs: decision.retryAfterMs };
    } catch (err) {
      if (!isDeadline(err)) throw err;
      return {
        allowed: false,
        scope,
        reason: 'guard_unavailable',
      };
    }
  }

  private async start<T>(workflowId: string, signal: typeof unblockSignal | typeof blockSignal, arg: T) {
    await this.client.workflow.signalWithStart<typeof abuseGuard, [T]>('abuseGuard', {
      workflowId,
      taskQueue: this.options.taskQueue,
      args: ['prefix'],
      signal: signal as never,
      signalArgs: [arg],
    });
  }
}

/** gRPC DEADLINE_EXCEEDED, however the client wrapped it. */
function isDeadline(err: unknown): boolean {
  for (let e = err as { code?: number; cause?: unknown; message?: string } | undefined; e; e = e.cause as typeof e) {
    if (e.code === 4 || /deadline/i.test(e.message ?? '')) return true;
  }
  return false;
}

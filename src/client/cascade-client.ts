import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { createHash, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { type z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../config';
import { sealOtpCode } from '../otp/codes';
import { secretsEqual } from '../security/constant-time';
import { DEFAULT_LIMITS, type LimitPolicy } from '../shared/limits';
import { bulkWorkflowId, deliveryWorkflowId, otpWorkflowId } from '../shared/ids';
import { maskRecipient } from '../shared/mask';
import { cancelSignal, ErrorTypes, resendUpdate, stateQuery, statusQuery, verifyUpdate } from '../shared/messages';
import {
  BulkSendInputSchema,
  DeliverMessageInputSchema,
  describeIssues,
  OtpInputSchema,
  type BulkSendInput,
  type DeliverMessageInput,
  type DeliverMessageParams,
  type OtpInput,
  type OtpParams,
} from '../shared/schemas';
import { CURRENT_CHANNEL, FLOW_KIND, RECIPIENT_MASK, TRACKING_ID } from '../shared/search-attributes';
import {
  type DeliveryProgress,
  type DeliveryResult,
  type OtpResult,
  type OtpState,
  type ResendResult,
  type VerifyResult,
} from '../shared/types';
import { type deliverMessage, type otpVerification } from '../workflows';
import { AbuseGuard } from './abuse-guard';
import { resumeBulk, type BulkResumeResult } from './bulk-resume';
import { CascadeFlowNotFoundError, CascadeResendRefusedError, CascadeValidationError } from './errors';

export interface CascadeClientOptions {
  /** Your Temporal client (with the plugin's data converter, if you use payload encryption). */
  client: Client;
  taskQueue?: string;
  /** CASCADE_OTP_SECRET: needed by verifyOtp to seal codes before they reach Temporal. */
  otpSecret?: string;
  /**
   * Abuse limits checked before an OTP flow starts (default DEFAULT_LIMITS when otpSecret is set,
   * which also keys recipients); `false` turns them off.
   */
  limits?: LimitPolicy | false;
}

export type FlowKind = 'deliverMessage' | 'otpVerification';

export interface FlowStatus {
  id: string;
  kind: FlowKind;
  /** Temporal's own execution status: RUNNING, COMPLETED, … */
  execution: string;
  progress?: DeliveryProgress | OtpState;
}

/**
 * The typed API a backend calls. Inputs are validated before anything starts; starts are
 * idempotent by tracking id (a repeated start returns the existing flow instead of sending again).
 */
export class CascadeClient {
  private readonly client: Client;
  private readonly taskQueue: string;
  /** The abuse guards (per recipient, per prefix); operators unblock prefixes through it. */
  readonly guard?: AbuseGuard;

  constructor(private readonly options: CascadeClientOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
    const policy = options.limits === undefined ? DEFAULT_LIMITS : options.limits;
    if (policy) {
      // Limits key recipients with the OTP secret: without it they would silently be off.
      if (!options.otpSecret) {
        throw new Error(
          'CascadeClient: abuse limits need otpSecret (CASCADE_OTP_SECRET); pass limits: false for a client that starts no OTP flows',
        );
      }
      this.guard = new AbuseGuard(this.client, { taskQueue: this.taskQueue, policy, secret: options.otpSecret });
    }
  }

  /** Starts (or finds) the delivery of one message; returns its flow id. */
  async sendMessage(input: DeliverMessageInput): Promise<{ id: string; started: boolean }> {
    // The flow gets the validated parameters (defaults applied, `validated` set): it checks nothing twice.
    const params = validate(DeliverMessageInputSchema, input);
    return this.startOnce<typeof deliverMessage>('deliverMessage', deliveryWorkflowId(params.trackingId), params, {
      summary: `Deliver ${params.trackingId} to ${maskRecipient(params.recipient)} via ${params.steps.map((s) => s.channel).join(' → ')}`,
      trackingId: params.trackingId,
      recipient: maskRecipient(params.recipient),
      channel: params.steps[0].channel,
    });
  }

  /**
   * Starts (or finds) an OTP verification; returns its flow id. With limits on, a flow the abuse
   * guards refuse throws CascadeLimitError before anything is sent.
   */
  async startOtp(input: OtpInput): Promise<{ id: string; started: boolean }> {
    let params = validate(OtpInputSchema, input);
    const id = otpWorkflowId(params.trackingId);
    if (this.guard) {
      await this.guard.acquire(params.recipient, id);
      const prefix = this.guard.prefixOf(params.recipient);
      params = {
        ...params,
        guard: {
          ...(prefix ? { prefixGuardId: this.guard.prefixGuardId(prefix) } : {}),
          proof: this.guard.proof(params.recipient, id),
        },
      };
    }
    return this.startOnce<typeof otpVerification>('otpVerification', id, params, {
      summary: `OTP ${params.trackingId} for ${maskRecipient(params.recipient)} via ${params.steps.map((s) => s.channel).join(' → ')}`,
      trackingId: params.trackingId,
      recipient: maskRecipient(params.recipient),
      channel: params.steps[0].channel,
    });
  }

  /**
   * Starts (or finds) a campaign (`bulkSend`, workflow id `bulk:<bulkId>`), validated before it
   * starts; pause/resume/cancel it with the signals, read `progress` with the query.
   */
  async startBulk(input: BulkSendInput): Promise<{ id: string; started: boolean }> {
    const params = validate(BulkSendInputSchema, input);
    const id = bulkWorkflowId(params.bulkId);
    try {
      await this.client.workflow.start('bulkSend', {
        args: [params],
        workflowId: id,
        taskQueue: this.taskQueue,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `Campaign ${params.bulkId} via ${params.step.channel}`,
        typedSearchAttributes: [
          { key: FLOW_KIND, value: 'bulkSend' },
          { key: TRACKING_ID, value: params.bulkId },
          { key: CURRENT_CHANNEL, value: params.step.channel },
        ],
      });
      return { id, started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { id, started: false };
      throw err;
    }
  }

  /**
   * Resumes a campaign: `resume` for a running one; one that ended unfinished starts again under its
   * id from its recorded progress (never from message 0, never re-sending what was sent).
   */
  async resumeBulk(bulkId: string): Promise<BulkResumeResult> {
    return resumeBulk(this.client, this.taskQueue, bulkId);
  }

  /** Checks a code the user typed. The code is sealed here: only its keyed digest reaches Temporal. */
  async verifyOtp(id: string, code: string): Promise<VerifyResult> {
    if (!/^\d{4,10}$/.test(code)) throw new CascadeValidationError([{ path: 'code', message: 'must be 4–10 digits' }]);
    if (!this.options.otpSecret) throw new Error('verifyOtp needs otpSecret (CASCADE_OTP_SECRET) to seal the code');
    const handle = this.client.workflow.getHandle<typeof otpVerification>(id);
    const sealed = sealOtpCode(this.options.otpSecret, id, code);
    try {
      const updateId = randomUUID();
      return await retryRace(() => handle.executeUpdate(verifyUpdate, { args: [{ code: sealed }], updateId }));
    } catch (err) {
      const failure = updateFailure(err);
      if (failure?.type === ErrorTypes.invalidCode) {
        throw new CascadeValidationError([{ path: 'code', message: failure.message }]);
      }
      if (!(await this.isClosed(id, err))) throw err;
      return this.closedVerification(id, sealed, err);
    }
  }

  async resendOtp(id: string, options: { nextStep?: boolean } = {}): Promise<ResendResult> {
    const handle = this.client.workflow.getHandle<typeof otpVerification>(id);
    try {
      const updateId = randomUUID();
      return await retryRace(() => handle.executeUpdate(resendUpdate, { args: [options], updateId }));
    } catch (err) {
      const failure = updateFailure(err);
      if (failure?.type === ErrorTypes.resendRefused) throw new CascadeResendRefusedError(failure.message);
      if (err instanceof WorkflowNotFoundError) throw new CascadeFlowNotFoundError(id);
      throw err;
    }
  }

  async cancel(id: string, reason?: string): Promise<void> {
    try {
      await this.client.workflow.getHandle(id).signal(cancelSignal, { reason });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new CascadeFlowNotFoundError(id);
      throw err;
    }
  }

  async getStatus(id: string): Promise<FlowStatus> {
    const handle = this.client.workflow.getHandle(id);
    let description;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new CascadeFlowNotFoundError(id);
      throw err;
    }
    const kind = description.type as FlowKind;
    const progress = kind === 'otpVerification' ? await handle.query(stateQuery) : await handle.query(statusQuery);
    return { id, kind, execution: description.status.name, progress };
  }

  async result(id: string): Promise<DeliveryResult | OtpResult> {
    try {
      return await this.client.workflow.getHandle<typeof deliverMessage | typeof otpVerification>(id).result();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new CascadeFlowNotFoundError(id);
      throw err;
    }
  }

  private async startOnce<W extends typeof deliverMessage | typeof otpVerification>(
    type: FlowKind,
    workflowId: string,
    input: Parameters<W>[0] | DeliverMessageParams | OtpParams,
    meta: { summary: string; trackingId: string; recipient: string; channel: string },
  ): Promise<{ id: string; started: boolean }> {
    try {
      await this.client.workflow.start(type, {
        args: [input as Parameters<W>[0]],
        workflowId,
        taskQueue: this.taskQueue,
        // The same tracking id never starts a second flow, running or closed: the start is
        // refused and we answer with the existing flow.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: meta.summary,
        typedSearchAttributes: [
          { key: FLOW_KIND, value: type },
          { key: TRACKING_ID, value: meta.trackingId },
          { key: RECIPIENT_MASK, value: meta.recipient },
          // The first step's channel, so the workflow need not upsert it (one history event fewer).
          { key: CURRENT_CHANNEL, value: meta.channel },
        ],
      });
      return { id: workflowId, started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { id: workflowId, started: false };
      throw err;
    }
  }

  private async isClosed(id: string, err: unknown): Promise<boolean> {
    if (err instanceof WorkflowNotFoundError) return true;
    const description = await this.client.workflow
      .getHandle(id)
      .describe()
      .catch(() => undefined);
    return description !== undefined && description.status.name !== 'RUNNING';
  }

  /**
   * A verify against a flow that has ended answers how it ended, and `approved` only for the code
   * that was approved (checked against the digest the flow kept); any other code, or any code on a
   * flow that recorded no digest, is `expired`. See the README's answer table.
   */
  private async closedVerification(id: string, sealed: string, err: unknown): Promise<VerifyResult> {
    let result: OtpResult;
    try {
      result = await this.client.workflow.getHandle<typeof otpVerification>(id).result();
    } catch {
      if (err instanceof WorkflowNotFoundError) throw new CascadeFlowNotFoundError(id);
      throw err;
    }
    if (result.status !== 'approved') return { status: result.status, attemptsLeft: 0 };
    const digest = createHash('sha256').update(sealed).digest('hex');
    const matches = result.approvedVerifier !== undefined && secretsEqual(digest, result.approvedVerifier);
    return { status: matches ? 'approved' : 'expired', attemptsLeft: 0 };
  }
}

function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new CascadeValidationError(describeIssues(parsed.error));
  return parsed.data;
}

/**
 * An update that lands while a receipt signal races the workflow task is refused with
 * FAILED_PRECONDITION ("unexpected workflow task failure") and nothing is recorded; the same
 * update (same id, so at most once) is simply sent again.
 */
async function retryRace<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      const raced =
        err instanceof WorkflowUpdateFailedError || !(err instanceof Error)
          ? false
          : /workflow task failure/i.test(String((err as { cause?: unknown }).cause ?? err.message));
      if (!raced || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

function updateFailure(err: unknown): ApplicationFailure | undefined {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) return err.cause;
  return undefined;
}

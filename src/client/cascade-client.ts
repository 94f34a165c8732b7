import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { type z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../config';
import { sealOtpCode } from '../otp/codes';
import { sha256Hex } from '../shared/sha256';
import { type LimitStore } from '../limits/store';
import { admitUpdate, DEFAULT_LIMITS, type LimitPolicy } from '../shared/limits';
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
  type LimitVerdict,
  type OtpResult,
  type OtpState,
  type ResendResult,
  type VerifyResult,
} from '../shared/types';
import { type deliverMessage, type otpVerification } from '../workflows';
import { AbuseGuard } from './abuse-guard';
import {
  CascadeFlowNotFoundError,
  CascadeLimitError,
  CascadeResendRefusedError,
  CascadeValidationError,
} from './errors';
import { TrackingIds, type IdempotencyWindows, type TrackedStart } from './tracking';
import { resumeBulk, type BulkResumeResult } from './bulk-resume';

export interface CascadeClientOptions {
  /** Your Temporal client (with the plugin's data converter, if you use payload encryption). */
  client: Client;
  taskQueue?: string;
  /** CASCADE_OTP_SECRET: needed by verifyOtp to seal codes before they reach Temporal. */
  otpSecret?: string;
  /**
   * Whether startOtp waits for the flow's admission by the abuse limits (default: yes, refusing
   * with `guard_unavailable` after the policy's `guardTimeoutMs`, 10 s). The workers' policy is
   * what counts; `false` starts without waiting (the flow still checks, and fails when refused).
   */
  limits?: LimitPolicy | false;
  /** The limit store the workers count in, for the operators' `guard` API (openLimitStore). */
  limitStore?: LimitStore;
  /**
   * How long after a flow closed a start with its tracking id still answers with it (default
   * `deliverMessage: '24h'`, `otpVerification: 0`: an OTP id is reused while its flow runs only).
   */
  idempotencyWindows?: IdempotencyWindows;
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
  /** Operators' view of the abuse limits (given a `limitStore`): state, list, block, unblock. */
  readonly guard?: AbuseGuard;
  private readonly admitTimeoutMs?: number;
  private readonly tracking: TrackingIds;

  constructor(private readonly options: CascadeClientOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
    this.tracking = new TrackingIds(this.client, options.idempotencyWindows);
    const policy = options.limits === undefined ? DEFAULT_LIMITS : options.limits;
    if (policy) this.admitTimeoutMs = policy.guardTimeoutMs ?? DEFAULT_LIMITS.guardTimeoutMs!;
    if (options.limitStore) this.guard = new AbuseGuard(options.limitStore);
  }

  /** Starts (or finds) the delivery of one message; returns its flow id. */
  async sendMessage(input: DeliverMessageInput): Promise<{ id: string; started: boolean }> {
    // The flow gets the validated parameters (defaults applied, `validated` set): it checks nothing twice.
    const params = validate(DeliverMessageInputSchema, input);
    const id = deliveryWorkflowId(params.trackingId);
    const plan = await this.tracking.plan('deliverMessage', id);
    if (plan.existing) return { id, started: false };
    return this.startOnce<typeof deliverMessage>('deliverMessage', id, params, plan, {
      summary: `Deliver ${params.trackingId} to ${maskRecipient(params.recipient)} via ${params.steps.map((s) => s.channel).join(' → ')}`,
      trackingId: params.trackingId,
      recipient: maskRecipient(params.recipient),
      channel: params.steps[0].channel,
    });
  }

  /**
   * Starts (or finds) an OTP verification; returns its flow id. The flow's first workflow task asks
   * the abuse limits (an Update-with-Start answered by it): a refused flow throws
   * CascadeLimitError before anything is sent. `channel`: the first step's, the code's first way out.
   */
  async startOtp(input: OtpInput): Promise<{ id: string; started: boolean; channel?: string }> {
    let params = validate(OtpInputSchema, input);
    const id = otpWorkflowId(params.trackingId);
    const plan = await this.tracking.plan('otpVerification', id);
    if (plan.existing) return { id, started: false };
    const meta = {
      summary: `OTP ${params.trackingId} for ${maskRecipient(params.recipient)} via ${params.steps.map((s) => s.channel).join(' → ')}`,
      trackingId: params.trackingId,
      recipient: maskRecipient(params.recipient),
      channel: params.steps[0].channel,
    };
    if (this.admitTimeoutMs === undefined) {
      return this.startOnce<typeof otpVerification>('otpVerification', id, params, plan, meta);
    }
    const request = randomUUID();
    params = { ...params, guard: { request } };
    let verdict: LimitVerdict & { started?: boolean };
    const deadline = Date.now() + this.admitTimeoutMs;
    try {
      verdict = await this.client.connection.withDeadline(deadline, () =>
        this.client.workflow.executeUpdateWithStart(admitUpdate, {
          args: [{ request }],
          startWorkflowOperation: new WithStartWorkflowOperation<typeof otpVerification>('otpVerification', {
            args: [params],
            workflowId: id,
            taskQueue: this.taskQueue,
            // A running flow of this id is asked for its admission (the same run, counted once); a
            // closed one is restarted only past its idempotency window (see TrackingIds).
            workflowIdReusePolicy: plan.reusePolicy,
            workflowIdConflictPolicy: 'USE_EXISTING',
            staticSummary: meta.summary,
            typedSearchAttributes: searchAttributes('otpVerification', meta),
          }),
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return this.closedOtp(id);
      // A running flow of an older version has no `admit` handler: it is the existing flow.
      if (
        err instanceof WorkflowUpdateFailedError &&
        /handler|not registered|unknown update/i.test(String(err.cause))
      ) {
        return { id, started: false };
      }
      // However the call gave up (its deadline, a cancelled poll, retries of an overloaded frontend
      // cut short), past the deadline nobody answered in time.
      if (isDeadline(err) || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || Date.now() >= deadline)
        throw new CascadeLimitError('recipient', 'guard_unavailable');
      throw err;
    }
    if (!verdict.allowed) throw new CascadeLimitError(verdict.scope, verdict.reason, verdict.retryAfterMs);
    return { id, started: verdict.started === true, ...(verdict.channel && { channel: verdict.channel }) };
  }

  /** A closed flow with this id: refused by the limits, it answers as it did; otherwise it is the existing flow. */
  private async closedOtp(id: string): Promise<{ id: string; started: boolean }> {
    try {
      await this.client.workflow.getHandle(id).result();
    } catch (err) {
      const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === ErrorTypes.limitExceeded) {
        const verdict = cause.details?.[0] as Extract<LimitVerdict, { allowed: false }> | undefined;
        if (verdict) throw new CascadeLimitError(verdict.scope, verdict.reason, verdict.retryAfterMs);
      }
    }
    return { id, started: false };
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

  /**
   * Checks a code the user typed. The code is sealed here: only its keyed digest reaches Temporal.
   * A code is single-use: after the verify that approved it, every verify answers `expired`. To
   * retry a call whose answer you lost (a timeout, a crash) and get that same answer, pass the same
   * `updateId` both times (e.g. your request's id): the server answers a repeated update id with the
   * recorded result, also once the flow has closed.
   */
  async verifyOtp(id: string, code: string, options: { updateId?: string } = {}): Promise<VerifyResult> {
    if (!/^\d{4,10}$/.test(code)) throw new CascadeValidationError([{ path: 'code', message: 'must be 4–10 digits' }]);
    if (!this.options.otpSecret) throw new Error('verifyOtp needs otpSecret (CASCADE_OTP_SECRET) to seal the code');
    const handle = this.client.workflow.getHandle<typeof otpVerification>(id);
    const sealed = sealOtpCode(this.options.otpSecret, id, code);
    try {
      // The server answers a repeated update id with its recorded result whatever the arguments: the
      // caller's id is bound to this code, so the same id with another code is a new verify.
      const updateId = options.updateId ? `${options.updateId}:${sha256Hex(sealed).slice(0, 32)}` : randomUUID();
      return await retryRace(() => handle.executeUpdate(verifyUpdate, { args: [{ code: sealed }], updateId }));
    } catch (err) {
      const failure = updateFailure(err);
      if (failure?.type === ErrorTypes.invalidCode) {
        throw new CascadeValidationError([{ path: 'code', message: failure.message }]);
      }
      if (!(await this.isClosed(id, err))) throw err;
      return this.closedVerification(id, err);
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
    plan: Extract<TrackedStart, { existing: false }>,
    meta: { summary: string; trackingId: string; recipient: string; channel: string },
  ): Promise<{ id: string; started: boolean }> {
    try {
      await this.client.workflow.start(type, {
        args: [input as Parameters<W>[0]],
        workflowId,
        taskQueue: this.taskQueue,
        // A start racing another for the same id is refused: we answer with the flow that won.
        workflowIdReusePolicy: plan.reusePolicy,
        staticSummary: meta.summary,
        typedSearchAttributes: searchAttributes(type, meta),
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
   * A verify against a flow that has ended answers how it ended; an approved flow's code was used,
   * so `expired` (single-use; the approving call itself is answered again by its update id, before
   * the flow's history is consulted). A flow cancelled natively before 0.3 (it ended CANCELED, with
   * no result) answers `canceled`. See the README's answer table.
   */
  private async closedVerification(id: string, err: unknown): Promise<VerifyResult> {
    const handle = this.client.workflow.getHandle<typeof otpVerification>(id);
    let result: OtpResult;
    try {
      result = await handle.result();
    } catch {
      const description = await handle.describe().catch(() => undefined);
      if (description?.status.name === 'CANCELLED') return { status: 'canceled', attemptsLeft: 0 };
      if (err instanceof WorkflowNotFoundError) throw new CascadeFlowNotFoundError(id);
      throw err;
    }
    return { status: result.status === 'approved' ? 'expired' : result.status, attemptsLeft: 0 };
  }
}

function searchAttributes(type: FlowKind, meta: { trackingId: string; recipient: string; channel: string }) {
  return [
    { key: FLOW_KIND, value: type },
    { key: TRACKING_ID, value: meta.trackingId },
    { key: RECIPIENT_MASK, value: meta.recipient },
    // The first step's channel, so the workflow need not upsert it (one history event fewer).
    { key: CURRENT_CHANNEL, value: meta.channel },
  ];
}

/** gRPC DEADLINE_EXCEEDED, however the client wrapped it. */
function isDeadline(err: unknown): boolean {
  for (let e = err as { code?: number; cause?: unknown; message?: string } | undefined; e; e = e.cause as typeof e) {
    if (e.code === 4 || /deadline/i.test(e.message ?? '')) return true;
  }
  return false;
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

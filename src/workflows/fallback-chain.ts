import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  TemporalFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  CascadeActivities,
  MessageContent,
  PrefixedActivities,
  SendStepInput,
  SendStepResult,
  SendStepSkipped,
} from '../activities/types';
import { DEFAULT_DELIVERY_TIMEOUT } from '../shared/defaults';
import type { Recipient, Step } from '../shared/schemas';
import { toMs } from '../shared/durations';
import { type Attempt, type DeliveryProgress, type DeliveryResult, type FlowPhase } from '../shared/types';
import { POLL, RECEIPT_POLL, SEND, SEND_LAST_STEP, SEND_LOCAL, SEND_LOCAL_LAST_STEP } from './policies';
import { recordFallback, recordSkipped, recordStep } from './metrics';
import { applyStatus, isSettled, ReceiptInbox } from './receipts';
import { conditionOrTimer } from './timers';
import { describeStep, formatDuration, showChannel, showDetails } from './visibility';

const sender = proxyActivities<CascadeActivities>(SEND);
const localSender = proxyLocalActivities<CascadeActivities>(SEND_LOCAL);
const poller = proxyActivities<CascadeActivities>(POLL);
// Since 0.3: the same activities under names a host's cannot collide with.
const prefixedSender = proxyActivities<PrefixedActivities>(SEND);
const prefixedPoller = proxyActivities<PrefixedActivities>(POLL);

/** Flow-wide state the chain obeys: a cancel signal, the TTL timer. */
export interface FlowControl {
  canceled: boolean;
  expired: boolean;
  /** Epoch ms (workflow time) of the TTL, if any. */
  deadline?: number;
}

export interface ChainRun {
  /** 1 for the first send; OTP resends count up. Part of the idempotency key. */
  sendNo: number;
  steps: Step[];
  startStep: number;
  recipient: Recipient;
  content: MessageContent;
  /** Stops the run at its next wake-up (an OTP resend superseding it, an approved code). */
  stopped?: () => boolean;
  /** The workflow ends right after this run: a poll timer a receipt beat is left, not cancelled. */
  last?: boolean;
}

export type ChainOutcome = DeliveryResult['status'] | 'stopped';

/**
 * The one fallback loop every workflow uses: send through a step, wait for its receipt (signal
 * first, polling as the safety net), move on when it fails or does not come in time.
 */
export class FallbackChain {
  readonly attempts: Attempt[] = [];
  private readonly inbox = new ReceiptInbox(this.attempts);
  phase: FlowPhase = 'sending';
  currentStep?: number;
  /** The poll timer of a wait a receipt ended, still running (see `conditionOrTimer`). */
  private openTimer?: { cancel(): void };

  /**
   * `local`: sends run as local activities (flows of 0.2.0; see SEND_LOCAL). `v3` (flows since 0.3):
   * sends are activities again, under prefixed names, with per-run idempotency keys; the TTL lets
   * the attempt in flight finish; sends consult provider health (a step whose provider is open is
   * skipped, never the last).
   */
  constructor(
    private readonly flow: FlowControl,
    private readonly options: { local: boolean; v3?: boolean } = { local: false },
  ) {}

  private get v3(): boolean {
    return this.options.v3 === true;
  }

  async run(run: ChainRun): Promise<ChainOutcome> {
    try {
      return await this.runSteps(run);
    } finally {
      if (!run.last) this.closeTimer();
    }
  }

  private closeTimer(): void {
    this.openTimer?.cancel();
    this.openTimer = undefined;
  }

  private async runSteps(run: ChainRun): Promise<ChainOutcome> {
    for (let i = run.startStep; i < run.steps.length; i++) {
      const halt = this.halted(run);
      if (halt) return halt;
      if (this.deliveredBy(run.sendNo)) return 'delivered';
      const step = run.steps[i];
      this.currentStep = i;
      showChannel(step.channel);
      this.closeTimer();
      if (i > run.startStep) recordFallback(run.steps[i - 1], step);
      const sent = await this.send(run, step, i);
      if (!sent) continue;
      const outcome = await this.awaitReceipt(run, step, sent.attempt, firstPollMs(step, sent.receiptPushed));
      recordStep(step, sent.attempt, outcome);
      if (outcome !== 'next') return outcome;
    }
    if (this.deliveredBy(run.sendNo)) return 'delivered';
    return this.halted(run) ?? 'failed';
  }

  progress(outcome?: DeliveryResult['status']): DeliveryProgress {
    return {
      phase: outcome ? 'done' : this.phase,
      currentStep: this.currentStep,
      currentChannel: this.currentStep === undefined ? undefined : this.attempts.at(-1)?.channel,
      outcome,
      attempts: this.attempts.map((a) => ({ ...a })),
    };
  }

  /** The first attempt that was delivered, by settle time (of one send, or of all). */
  deliveredBy(sendNo?: number): DeliveryResult['deliveredBy'] {
    const delivered = this.attempts
      .filter((a) => a.status === 'delivered' && (sendNo === undefined || a.sendNo === sendNo))
      .sort((a, b) => settledMs(a) - settledMs(b))[0];
    return (
      delivered && { step: delivered.step, channel: delivered.channel, providerMessageId: delivered.providerMessageId }
    );
  }

  /** `inFlight`: the attempt in flight finishes past the TTL (since 0.3), so the TTL alone does not halt it. */
  private halted(run: ChainRun, inFlight = false): ChainOutcome | undefined {
    if (this.flow.canceled) return 'canceled';
    if (this.flow.expired && !(inFlight && this.v3)) return 'expired';
    if (run.stopped?.()) return 'stopped';
    return undefined;
  }

  private async send(
    run: ChainRun,
    step: Step,
    stepIndex: number,
  ): Promise<{ attempt: Attempt; receiptPushed: boolean } | undefined> {
    this.phase = 'sending';
    showDetails(`${describeStep(step)}: sending (step ${stepIndex + 1} of ${run.steps.length})`);
    const attempt: Attempt = {
      sendNo: run.sendNo,
      step: stepIndex,
      channel: step.channel,
      provider: step.channel,
      status: 'sending',
    };
    this.attempts.push(attempt);
    const ttlLeft = this.flow.deadline === undefined ? undefined : this.flow.deadline - Date.now();
    const last = stepIndex === run.steps.length - 1;
    const input: SendStepInput = {
      step,
      stepIndex,
      recipient: run.recipient,
      content: run.content,
      idempotencyKey: idempotencyKey(run.sendNo, stepIndex, this.v3),
      ...(this.v3
        ? { expirySeconds: providerExpiry(step, ttlLeft) }
        : this.options.local
          ? { expirySeconds: providerExpiry(step, ttlLeft), scheduledAt: Date.now() }
          : { ttlSeconds: ttlLeft === undefined ? undefined : Math.max(1, Math.ceil(ttlLeft / 1000)) }),
      // The last step is never skipped for health alone.
      ...(this.v3 ? { health: { skippable: !last } } : {}),
    };
    let result: SendStepResult | SendStepSkipped;
    try {
      result = await this.sendStep(input, last, ttlLeft, `${describeStep(step)}: send`);
    } catch (err) {
      // An activity's failure wraps its cause; a local activity's is the cause itself.
      if (!(err instanceof TemporalFailure) || isCancellation(err)) throw err;
      const cause = err instanceof ActivityFailure ? err.cause : err;
      attempt.status = 'failed';
      attempt.settledAt = new Date().toISOString();
      attempt.error = {
        type: cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : (cause?.name ?? 'Error'),
        message: cause?.message ?? err.message,
        nonRetryable: cause instanceof ApplicationFailure && cause.nonRetryable === true,
      };
      recordStep(step, attempt, 'next');
      return undefined;
    }
    if ('skipped' in result) {
      attempt.status = 'skipped';
      attempt.settledAt = new Date().toISOString();
      attempt.skipped = result.skipped;
      recordSkipped(step);
      showDetails(`${describeStep(step)}: skipped: provider unhealthy (${result.skipped.key} ${result.skipped.state})`);
      return undefined;
    }
    attempt.providerMessageId = result.providerMessageId;
    attempt.sentAt = result.sentAt;
    attempt.status = 'pending';
    if (result.cancellable) attempt.cancellable = true;
    applyStatus(attempt, result.initial);
    // Receipts that reached the receiver before this send recorded its id, then any signalled early.
    for (const receipt of result.early ?? []) applyStatus(attempt, receipt);
    this.inbox.claim(attempt);
    return { attempt, receiptPushed: result.receiptPushed === true };
  }

  /** The send, on its schedule: a step never retries past the flow's TTL; the last one retries longest. */
  private sendStep(input: SendStepInput, last: boolean, ttlLeft: number | undefined, summary: string) {
    const local = this.options.local && !this.v3;
    const policy = local ? (last ? SEND_LOCAL_LAST_STEP : SEND_LOCAL) : last ? SEND_LAST_STEP : SEND;
    const cap =
      ttlLeft !== undefined && ttlLeft < toMs(policy.scheduleToCloseTimeout!)
        ? { scheduleToCloseTimeout: Math.max(1000, ttlLeft) }
        : {};
    // Since 0.3 a send is an activity again: a local one re-runs as a first attempt whenever its
    // workflow task fails (parallel updates, a lost worker), and each re-run sent the message again.
    // An activity the server scheduled runs once per attempt, and a retry (attempt > 1) looks the
    // message up first where the provider lets us (see sendStep).
    if (this.v3) return prefixedSender['cascade.sendStep'].executeWithOptions({ ...policy, ...cap, summary }, [input]);
    return local
      ? localSender.sendStep.executeWithOptions({ ...policy, ...cap, summary }, [input])
      : sender.sendStep.executeWithOptions({ ...policy, ...cap, summary }, [input]);
  }

  /** Returns 'next' to fall back, or the flow's outcome. */
  private async awaitReceipt(
    run: ChainRun,
    step: Step,
    attempt: Attempt,
    firstPoll: number,
  ): Promise<ChainOutcome | 'next'> {
    this.phase = 'waiting_for_receipt';
    const timeoutMs = toMs(step.deliveryTimeout ?? DEFAULT_DELIVERY_TIMEOUT);
    const stepUntil = Date.now() + timeoutMs;
    const pollUntil = Date.now() + RECEIPT_POLL.horizonMs;
    const label = describeStep(step);
    showDetails(`${label}: waiting for delivery receipt, ${formatDuration(timeoutMs)}`);
    let pollMs = firstPoll;
    // Since 0.3 the TTL starts no step but lets this one finish: its receipt, or one last poll
    // once the provider's own expiry (the TTL) has had RECEIPT_POLL.afterTtlMs to report.
    let sawExpiry = false;
    const finishing = () => this.v3 && this.flow.expired;
    const deadline = () =>
      finishing() ? Math.min(stepUntil, (this.flow.deadline ?? Date.now()) + RECEIPT_POLL.afterTtlMs) : stepUntil;
    // A late receipt for an earlier step does not end this wait: the message in flight was sent
    // and costs money, so its own receipt is awaited (up to its timeout) and shows in the result.
    const wake = () => isSettled(attempt) || this.halted(run, true) !== undefined || (finishing() && !sawExpiry);

    for (;;) {
      if (isSettled(attempt)) return attempt.status === 'delivered' ? 'delivered' : 'next';
      const halt = this.halted(run, true);
      if (halt) return halt;
      if (finishing()) sawExpiry = true;
      const until = deadline();
      const left = until - Date.now();
      if (left > 0) {
        // Within the polling horizon: sleep until the next poll. Past it: until the deadline.
        const wait = Date.now() < pollUntil ? Math.min(pollMs, left) : left;
        this.closeTimer();
        const { woke, timer } = await conditionOrTimer(
          wake,
          Math.max(RECEIPT_POLL.minMs, wait),
          `${label}: receipt, or ${wait === left ? 'deadline' : 'poll'} in ${formatDuration(wait)}`,
        );
        this.openTimer = timer;
        if (woke) continue;
      }
      await this.poll(attempt);
      if (isSettled(attempt)) continue;
      if (Date.now() >= until) {
        if (finishing()) return 'expired';
        attempt.status = 'timed_out';
        showDetails(`${label}: no receipt within ${formatDuration(timeoutMs)}, falling back`);
        return 'next';
      }
      pollMs = Math.min(pollMs * RECEIPT_POLL.factor, RECEIPT_POLL.maxMs);
    }
  }

  private async poll(attempt: Attempt): Promise<void> {
    if (!attempt.providerMessageId) return;
    try {
      const check = this.v3 ? prefixedPoller['cascade.checkDelivery'] : poller.checkDelivery;
      const status = await check.executeWithOptions({ ...POLL, summary: `${attempt.provider}: status check` }, [
        { provider: attempt.provider, providerMessageId: attempt.providerMessageId },
      ]);
      applyStatus(attempt, status);
    } catch (err) {
      // A failed poll is not a failed delivery: the receipt or the next poll decides.
      if (!(err instanceof ActivityFailure)) throw err;
    }
  }
}

/**
 * Cancels at their providers the messages still waiting there (their channel said so when sent),
 * whatever cancels the flow: the `cancel` signal or, since 0.3, native cancellation (Web UI,
 * `handle.cancel()`, a parent) — which is why it runs in a scope no cancellation reaches.
 */
export async function cancelAtProviders(chain: FallbackChain, v3: boolean): Promise<void> {
  const cancel = v3 ? prefixedPoller['cascade.cancelScheduled'] : poller.cancelScheduled;
  const run = async () => {
    for (const attempt of chain.attempts) {
      if (!attempt.cancellable || isSettled(attempt) || !attempt.providerMessageId) continue;
      try {
        const status = await cancel({ provider: attempt.provider, providerMessageId: attempt.providerMessageId });
        if (status) attempt.status = 'canceled';
      } catch {
        // best effort: the message may have left the schedule meanwhile
      }
    }
  };
  await (v3 ? CancellationScope.nonCancellable(run) : run());
}

/**
 * How long the provider may keep trying, seconds: until our step gives up (its deliveryTimeout), so
 * a step we fell back from never delivers later — capped by the flow's TTL; or, with
 * `providerExpiry: 'flow'`, the flow's TTL alone (none: the provider's default).
 */
function providerExpiry(step: Step, ttlLeftMs: number | undefined): number | undefined {
  const ttl = ttlLeftMs === undefined ? undefined : Math.max(1, Math.ceil(ttlLeftMs / 1000));
  if (step.providerExpiry === 'flow') return ttl;
  const stepSeconds = Math.max(1, Math.ceil(toMs(step.deliveryTimeout ?? DEFAULT_DELIVERY_TIMEOUT) / 1000));
  return ttl === undefined ? stepSeconds : Math.min(stepSeconds, ttl);
}

function firstPollMs(step: Step, receiptPushed: boolean): number {
  if (step.pollAfter !== undefined) return toMs(step.pollAfter);
  return receiptPushed ? RECEIPT_POLL.pushedFirstMs : RECEIPT_POLL.firstMs;
}

function settledMs(a: Attempt): number {
  const ms = a.settledAt ? Date.parse(a.settledAt) : NaN;
  return Number.isNaN(ms) ? Number.MAX_SAFE_INTEGER : ms;
}

/**
 * Stable per (flow, send, step), so a retried activity reuses it. Limited to the characters and
 * length SMSBAT accepts for its tracking `id` (smsbat.md §1). Since 0.3 it names the run too, so a
 * second run of one workflow id (a reset, a reused tracking id) never adopts the first run's
 * message or reuses its email Message-ID.
 */
export function idempotencyKey(sendNo: number, stepIndex: number, perRun = false): string {
  const { workflowId, runId } = workflowInfo();
  const safe = workflowId.replace(/[^A-Za-z0-9._:-]/g, '_');
  const base = safe.length > 200 ? `${safe.slice(0, 180)}.${fnv1a(workflowId)}` : safe;
  return perRun
    ? `${base}.${runId.replace(/[^A-Za-z0-9]/g, '')}.${sendNo}.${stepIndex}`
    : `${base}.${sendNo}.${stepIndex}`;
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

import { randomBytes } from 'node:crypto';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { toMs, type DurationInput } from '../shared/durations';

/**
 * What a tracking id means when a start repeats it. A start is idempotent while the flow it names
 * runs and for a window after it closed (a retried request gets the same flow, nothing is sent
 * twice); after the window, the same id starts a new flow (a new run of the same workflow id).
 *
 * Defaults: messages keep their id for 24 hours after they close (as Courier's idempotency keys
 * do), so a retried `sendMessage` never delivers twice; OTP flows only while they run, so user 42's
 * next login with `login-42` gets a fresh code once the last one was approved, expired or failed.
 */
export type IdempotencyWindows = Partial<Record<TrackedFlowKind, DurationInput>>;

export type TrackedFlowKind = 'deliverMessage' | 'otpVerification';

export const DEFAULT_IDEMPOTENCY_WINDOWS: Record<TrackedFlowKind, DurationInput> = {
  deliverMessage: '24h',
  otpVerification: 0,
};

/** A start's plan: answer with the flow that holds the id, or start one (and count it under `key`). */
export type TrackedStart =
  | { existing: true }
  | {
      existing: false;
      /** One per attempt of the id: the flow id itself for its first run, then the run it follows. */
      key: string;
      /** Temporal's reuse policy for the start: a conflicting start in between still answers `started: false`. */
      reusePolicy: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE';
    };

export class TrackingIds {
  private readonly windows: Record<TrackedFlowKind, number>;

  constructor(
    private readonly client: Pick<Client, 'workflow'>,
    windows: IdempotencyWindows = {},
    private readonly now: () => number = Date.now,
  ) {
    const merged = { ...DEFAULT_IDEMPOTENCY_WINDOWS, ...windows };
    this.windows = { deliverMessage: toMs(merged.deliverMessage), otpVerification: toMs(merged.otpVerification) };
  }

  /** Decides, from the flow that holds `workflowId` now (if any), whether a start makes a new one. */
  async plan(kind: TrackedFlowKind, workflowId: string): Promise<TrackedStart> {
    // No window: Temporal's own policy says it (a running flow is refused, a closed one restarted),
    // without a round trip of ours before every start.
    if (this.windows[kind] === 0) return { existing: false, key: workflowId, reusePolicy: 'ALLOW_DUPLICATE' };
    let description;
    try {
      description = await this.client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        return { existing: false, key: workflowId, reusePolicy: 'REJECT_DUPLICATE' };
      throw err;
    }
    if (description.status.name === 'RUNNING' || !description.closeTime) return { existing: true };
    if (this.now() - description.closeTime.getTime() < this.windows[kind]) return { existing: true };
    return { existing: false, key: `${workflowId}@after:${description.runId}`, reusePolicy: 'ALLOW_DUPLICATE' };
  }
}

/**
 * A tracking id of its own for every attempt (`login-42` → `login-42:m4x9k2:1f3a9c0b`), for apps
 * that want each request to start a flow whatever the windows say; keep it to verify and resend.
 */
export function attemptTrackingId(base: string): string {
  return `${base}:${Date.now().toString(36)}:${randomBytes(4).toString('hex')}`;
}

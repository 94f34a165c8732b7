import {
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  defineSignal,
  executeChild,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { type Duration } from '@temporalio/common';
import { otpWorkflowId } from '../../src/shared/ids';
import type { OtpInput } from '../../src/shared/schemas';
import { otpVerification } from '../../src/workflows/otp-verification';

/** Sleeps for `duration` on a durable timer; returns the workflow clock before and after. */
export async function sleepThenReport(
  duration: Duration,
): Promise<{ startedAt: number; wokeAt: number; runId: string }> {
  const startedAt = Date.now();
  await sleep(duration);
  return { startedAt, wokeAt: Date.now(), runId: workflowInfo().runId };
}

/**
 * A user's own workflow that verifies a phone with temporal-cascade's `otpVerification` as a
 * child, the way the README shows: it reports how the child ended, or the failure type it met.
 */
export async function verifyPhoneAsChild(
  input: OtpInput,
): Promise<{ status?: string; failure?: string; scope?: string }> {
  try {
    const result = await executeChild(otpVerification, { workflowId: otpWorkflowId(input.trackingId), args: [input] });
    return { status: result.status };
  } catch (err) {
    if (err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure) {
      const verdict = err.cause.details?.[0] as { scope?: string } | undefined;
      return { failure: err.cause.type ?? 'Error', scope: verdict?.scope };
    }
    throw err;
  }
}

/** A host app's own activity, registered on the same worker as the plugin's. */
export interface HostActivities {
  hostSend(input: { to: string }): Promise<string>;
}

export const finishHostFlow = defineSignal('finishHostFlow');

/**
 * A host app's own workflow beside temporal-cascade's: calls its own activity, then waits for a
 * signal (so it can be started before the plugin is added and finished after).
 */
export async function hostFlow(input: { to: string; fail?: boolean }): Promise<string> {
  if (input.fail) throw ApplicationFailure.nonRetryable('host refused the order');
  let finished = false;
  setHandler(finishHostFlow, () => void (finished = true));
  const { hostSend } = proxyActivities<HostActivities>({ startToCloseTimeout: '10s' });
  const sent = await hostSend(input);
  await condition(() => finished);
  return `${sent}; finished`;
}

/** A host's own workflow calling its own activity named `sendStep` (a name temporal-cascade used before 0.3). */
export async function hostSendStep(text: string): Promise<string> {
  const { sendStep } = proxyActivities<{ sendStep(text: string): Promise<string> }>({ startToCloseTimeout: '10s' });
  return sendStep(text);
}

import { sleep, workflowInfo } from '@temporalio/workflow';
import { type Duration } from '@temporalio/common';

/** Sleeps for `duration` on a durable timer; returns the workflow clock before and after. */
export async function sleepThenReport(
  duration: Duration,
): Promise<{ startedAt: number; wokeAt: number; runId: string }> {
  const startedAt = Date.now();
  await sleep(duration);
  return { startedAt, wokeAt: Date.now(), runId: workflowInfo().runId };
}

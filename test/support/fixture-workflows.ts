import { sleep, workflowInfo } from '@temporalio/workflow';

/** Sleeps for `duration` on a durable timer; returns the workflow clock before and after. */
export async function sleepThenReport(duration: string): Promise<{ startedAt: number; wokeAt: number; runId: string }> {
  const startedAt = Date.now();
  await sleep(duration);
  return { startedAt, wokeAt: Date.now(), runId: workflowInfo().runId };
}

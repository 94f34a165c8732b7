// The host app's own workflow and activity: names of its own choosing, one of which
// (`sendStep`) temporal-cascade also used for an activity before 0.3.
import { ApplicationFailure, condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

export interface HostActivities {
  sendStep(input: { to: string }): Promise<string>;
}

export const finishHostFlow = defineSignal('finishHostFlow');

export interface HostFlowInput {
  to: string;
  fail?: boolean;
}

/** Sends through the host's own `sendStep`, then waits to be told to finish. */
export async function hostFlow(input: HostFlowInput): Promise<string> {
  if (input.fail) throw ApplicationFailure.nonRetryable('the host refused the order');
  let finished = false;
  setHandler(finishHostFlow, () => void (finished = true));
  const { sendStep } = proxyActivities<HostActivities>({
    startToCloseTimeout: '10s',
    retry: { maximumAttempts: 2, initialInterval: '100ms' },
  });
  const sent = await sendStep({ to: input.to });
  await condition(() => finished);
  return `${sent}; finished`;
}

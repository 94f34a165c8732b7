import {
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CascadeActivities, PrefixedActivities } from '../activities/types';
import { admitUpdate, verifiedSignal } from '../shared/limits';
import type { OtpInput, OtpParams } from '../shared/schemas';
import { type LimitVerdict } from '../shared/types';
import { V3_PATCH } from './input';
import { LOCAL_CHECK } from './policies';

const local = proxyLocalActivities<CascadeActivities>(LOCAL_CHECK);
const prefixed = proxyLocalActivities<PrefixedActivities>(LOCAL_CHECK);

/**
 * An OTP run's admission by the abuse limits. `startOtp` starts the flow with an Update-with-Start
 * of `admit`, answered once the first workflow task has asked the limit store (one local activity,
 * one transaction): the refusal reaches the caller before anything is sent, and a backend that
 * starts and verifies flows needs Temporal alone. Flows recorded before the limit store replay
 * their own commands: the check with the client's proof, the `verified` signal to the prefix guard.
 * Register it before the workflow's first await, so the update of its start finds its handler.
 */
export function admission(input: OtpInput) {
  // The 0.3 decision (see input.ts), taken here first: the handler must exist before any await.
  const store = patched(V3_PATCH);
  let verdict: LimitVerdict | undefined;
  // Only flows that ask the store answer `admit`: an older flow rejects the update (no handler),
  // which tells the client it is the existing flow, instead of holding it until its deadline.
  if (store) {
    setHandler(admitUpdate, async (arg) => {
      await condition(() => verdict !== undefined);
      return { ...verdict!, started: arg?.request !== undefined && arg.request === input.guard?.request };
    });
  }
  return {
    /** Asks the limits once; the answer goes to `admit` callers too. */
    async check(p: OtpParams): Promise<LimitVerdict> {
      verdict = store
        ? await prefixed['cascade.acquireOtpLimits']({
            recipient: p.recipient,
            startedAt: workflowInfo().runStartTime.getTime(),
          })
        : await local.acquireOtpLimits({ recipient: p.recipient, proof: p.guard?.proof });
      if (verdict.allowed) verdict = { ...verdict, channel: p.steps[0].channel };
      return verdict;
    },
    /** The code was verified: the conversion the pumping rules judge. */
    async converted(prefixGuardId: string | undefined): Promise<void> {
      if (store) {
        await prefixed['cascade.recordOtpConversion']().catch(() => undefined);
      } else if (prefixGuardId) {
        await getExternalWorkflowHandle(prefixGuardId)
          .signal(verifiedSignal, { flowId: workflowInfo().workflowId })
          .catch(() => undefined);
      }
    },
  };
}

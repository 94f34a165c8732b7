import { Context } from '@temporalio/activity';
import { AbuseGuard } from '../client/abuse-guard';
import { recordLimitVerdict } from '../metrics/activity';
import { type LimitVerdict } from '../shared/types';
import { type ActivityDeps } from './deps';
import { otpNotConfigured } from './failures';
import { currentFlow } from './render';
import { type AcquireOtpLimitsInput } from './types';

/**
 * `otpVerification` asks the abuse guards itself, so a flow started as a child or directly gets
 * the limits `CascadeClient.startOtp` applies. A start our client already checked carries its
 * keyed proof and costs no second round of guard updates; asking twice for one flow counts it once.
 */
export function createAcquireOtpLimits(deps: ActivityDeps) {
  return async function acquireOtpLimits({ recipient, proof }: AcquireOtpLimitsInput): Promise<LimitVerdict> {
    if (!deps.limits) return { allowed: true };
    if (!deps.otpSecret) throw otpNotConfigured();
    const { taskQueue } = Context.current().info;
    const guard = new AbuseGuard(Context.current().client, {
      taskQueue,
      policy: deps.limits,
      secret: deps.otpSecret,
    });
    const { workflowId } = currentFlow();
    if (proof && guard.verifyProof(recipient, workflowId, proof)) {
      const prefix = guard.prefixOf(recipient);
      return recordLimitVerdict({ allowed: true, ...(prefix ? { prefixGuardId: guard.prefixGuardId(prefix) } : {}) });
    }
    return recordLimitVerdict(await guard.decide(recipient, workflowId));
  };
}

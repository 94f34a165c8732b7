import { otpNotConfigured } from './failures';
import { currentFlow } from './render';
import { type ActivityDeps } from './deps';
import { sha256Hex } from '../shared/sha256';
import { type PrepareOtpInput } from './types';

/** Derives this flow's code and returns only its seal, which is what the workflow keeps. */
export function createPrepareOtpVerifier(deps: ActivityDeps) {
  return async function prepareOtpVerifier({ codeLength }: PrepareOtpInput): Promise<{ verifier: string }> {
    if (!deps.otp) throw otpNotConfigured();
    const { workflowId, runId } = currentFlow();
    const code = deps.otp.code(workflowId, runId, codeLength);
    // Only a hash of the seal goes to history: the stored value cannot itself pass `verify`.
    return { verifier: sha256Hex(deps.otp.seal(workflowId, code)) };
  };
}

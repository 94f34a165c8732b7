import { randomBytes } from 'node:crypto';
import { otpNotConfigured } from './failures';
import { currentFlow } from './render';
import { type ActivityDeps } from './deps';
import { sha256Hex } from '../shared/sha256';
import { type PrepareOtpInput, type PreparedOtp } from './types';

/**
 * Derives this flow's code and returns only its seal, which is what the workflow keeps. Since 0.3
 * the code derives from a random reference drawn here and kept in history beside the verifier
 * (non-secret: the code needs the worker's secret too), not from the run id a reset changes.
 */
export function createPrepareOtpVerifier(deps: ActivityDeps) {
  return async function prepareOtpVerifier({ codeLength, withRef }: PrepareOtpInput): Promise<PreparedOtp> {
    if (!deps.otp) throw otpNotConfigured();
    const { workflowId, runId } = currentFlow();
    const ref = withRef ? randomBytes(16).toString('base64url') : undefined;
    const code =
      ref === undefined
        ? deps.otp.code(workflowId, runId, codeLength)
        : deps.otp.codeFromRef(workflowId, ref, codeLength);
    // Only a hash of the seal goes to history: the stored value cannot itself pass `verify`.
    return { verifier: sha256Hex(deps.otp.seal(workflowId, code)), ...(ref ? { ref } : {}) };
  };
}

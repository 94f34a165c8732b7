import { executeChild } from '@temporalio/workflow';
import { otpWorkflowId } from 'temporal-cascade/contract';
import { otpVerification } from 'temporal-cascade/workflows';

// The plugin bundles temporal-cascade's workflows beside these: no re-export needed.

export interface SignupInput {
  userId: string;
  phone: string;
  email: string;
}

/**
 * A user's own workflow: a new account is confirmed with a one-time code, by SMS through SMSBAT
 * and by email if the SMS does not arrive. The code stays valid for a week. The child gets the
 * same abuse limits as `CascadeClient.startOtp`, and the id the client would give it.
 */
export async function signup(input: SignupInput): Promise<{ userId: string; status: 'active' | 'unverified' }> {
  const trackingId = `signup-${input.userId}`;
  const verification = await executeChild(otpVerification, {
    workflowId: otpWorkflowId(trackingId),
    args: [
      {
        trackingId,
        recipient: { phone: input.phone, email: input.email },
        steps: [
          { channel: 'smsbat', fromName: 'MyApp', deliveryTimeout: '2m' },
          { channel: 'email', subject: 'Confirm your MyApp account' },
        ],
        template: 'Welcome to MyApp! Your code: {code}',
        codeTtl: '7d',
      },
    ],
  });
  return { userId: input.userId, status: verification.status === 'approved' ? 'active' : 'unverified' };
}

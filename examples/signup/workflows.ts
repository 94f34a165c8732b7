import { executeChild } from '@temporalio/workflow';
import { otpVerification } from 'temporal-cascade/workflows';

// Your worker runs your workflows and temporal-cascade's side by side.
export * from 'temporal-cascade/workflows';

export interface SignupInput {
  userId: string;
  phone: string;
  email: string;
}

/**
 * A user's own workflow: a new account is confirmed with a one-time code, by SMS through SMSBAT
 * and by email if the SMS does not arrive. The code stays valid for a week.
 */
export async function signup(input: SignupInput): Promise<{ userId: string; status: 'active' | 'unverified' }> {
  const verification = await executeChild(otpVerification, {
    workflowId: `otp:signup-${input.userId}`,
    args: [
      {
        trackingId: `signup-${input.userId}`,
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

// The app's own workflow: a new phone number is confirmed with a one-time code, by SMS through
// SMSBAT and by email when the SMS does not arrive. Sandbox code: it imports only what the
// package exports for workflows (`temporal-cascade/workflows`, `temporal-cascade/contract`).
import { executeChild } from '@temporalio/workflow';
import { otpWorkflowId, type OtpResult } from 'temporal-cascade/contract';
import { otpVerification } from 'temporal-cascade/workflows';

export interface ConfirmPhoneInput {
  userId: string;
  phone: string;
  email: string;
}

export interface ConfirmPhoneResult {
  userId: string;
  confirmed: boolean;
  /** The channel that carried the code the user typed. */
  via?: string;
}

export async function confirmPhone(input: ConfirmPhoneInput): Promise<ConfirmPhoneResult> {
  const trackingId = `confirm-${input.userId}`;
  const otp: OtpResult = await executeChild(otpVerification, {
    workflowId: otpWorkflowId(trackingId),
    args: [
      {
        trackingId,
        recipient: { phone: input.phone, email: input.email },
        steps: [
          { channel: 'smsbat', fromName: 'ConsumerApp', deliveryTimeout: '1m' },
          { channel: 'email', subject: 'Your ConsumerApp code' },
        ],
        template: 'ConsumerApp code: {code}',
      },
    ],
  });
  const delivered = otp.attempts.filter((a) => a.status === 'delivered').pop();
  return {
    userId: input.userId,
    confirmed: otp.status === 'approved',
    ...(delivered ? { via: delivered.channel } : {}),
  };
}

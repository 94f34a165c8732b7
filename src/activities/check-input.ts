import { ApplicationFailure } from '@temporalio/activity';
import { ErrorTypes } from '../shared/messages';
import { BulkSendInputSchema, DeliverMessageInputSchema, describeIssues, OtpInputSchema } from '../shared/schemas';
import { type CheckInputInput } from './types';

/**
 * The workflow input check for flows CascadeClient did not start (children, other clients): the
 * same schemas, here in the worker rather than in the workflow sandbox, before anything is sent.
 * An invalid input fails the flow at once, non-retryably, naming every bad field.
 */
export function createCheckInput() {
  return async function checkInput({ kind, input }: CheckInputInput): Promise<unknown> {
    const schema = {
      deliverMessage: DeliverMessageInputSchema,
      otpVerification: OtpInputSchema,
      bulkSend: BulkSendInputSchema,
    }[kind];
    const parsed = schema.safeParse(input);
    if (parsed.success) return parsed.data;
    const issues = describeIssues(parsed.error);
    throw ApplicationFailure.create({
      type: ErrorTypes.invalidInput,
      message: `invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      nonRetryable: true,
      details: [issues],
    });
  };
}

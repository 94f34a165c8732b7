import { ApplicationFailure } from '@temporalio/workflow';
import { type z } from 'zod';
import { ErrorTypes } from '../shared/messages';
import { describeIssues } from '../shared/schemas';

/**
 * Validates a workflow input inside the workflow too (a caller may start it without our client).
 * An invalid input fails the workflow at once, non-retryably, naming every bad field.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = describeIssues(parsed.error);
  throw ApplicationFailure.create({
    type: ErrorTypes.invalidInput,
    message: `invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    nonRetryable: true,
    details: [issues],
  });
}

import { Context } from '@temporalio/activity';
import { otpNotConfigured, type Redaction } from './failures';
import { type OtpCodes } from '../otp/codes';
import { type MessageContent } from './types';

/**
 * The text a step sends. For an OTP the code is derived here, inside the activity, from the
 * flow's identity: it exists only in this process's memory and in the provider request. What to
 * scrub from anything the provider says back comes along.
 */
export function renderContent(
  content: MessageContent,
  flow: { workflowId: string; runId: string },
  otp: OtpCodes | undefined,
): { text: string; title: string; redact: Redaction } {
  if (content.kind === 'text') return { text: content.text, title: 'Message', redact: { secrets: [content.text] } };
  if (!otp) throw otpNotConfigured();
  const code =
    content.codeRef === undefined
      ? otp.code(flow.workflowId, flow.runId, content.codeLength)
      : otp.codeFromRef(flow.workflowId, content.codeRef, content.codeLength);
  const text = content.template.replaceAll('{code}', code).replaceAll('{app}', content.appName ?? '');
  const title = `${content.appName ?? 'Your'} verification code`.trim();
  return { text, title, redact: { secrets: [text, code], digits: true } };
}

/** The workflow execution this activity runs for (activities here are always workflow-scheduled). */
export function currentFlow(): { workflowId: string; runId: string } {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw new Error('temporal-cascade activities run only inside workflows');
  return { workflowId: execution.workflowId, runId: execution.runId };
}

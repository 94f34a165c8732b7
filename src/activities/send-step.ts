import { Context, log } from '@temporalio/activity';
import { type ChannelAdapter } from '../channels';
import { SendHealth } from '../health/send-hooks';
import { recordParkedReceipts, recordSend, recordSendFailure } from '../metrics/activity';
import { type DeliveryStatus } from '../shared/delivery-status';
import { type ActivityDeps } from './deps';
import { toActivityFailure, withRecipients } from './failures';
import { currentFlow, renderContent } from './render';
import { type SendStepInput, type SendStepResult, type SendStepSkipped } from './types';

/**
 * Sends one step of a chain through its channel's adapter. Thin: render, send, record where the
 * receipt goes, map errors (scrubbed of the text and the code).
 *
 * Double sends: since 0.3 a send is a scheduled activity, which a failed workflow task does not
 * repeat. A retried attempt (its answer lost, its worker killed) looks the message up first where
 * the provider lets us (Reach, by its idempotency key) and adopts it; SMSBAT and SMTP have no
 * lookup, so such a retry sends again, with the same tracking id or Message-ID.
 */
/** Longer than a workflow task takes to run its local activities, shorter than a lost task's timeout (10 s). */
const REPEAT_AFTER_MS = 5_000;

export function createSendStep(deps: ActivityDeps) {
  return async function sendStep(input: SendStepInput): Promise<SendStepResult | SendStepSkipped> {
    const flow = currentFlow();
    const { step, recipient, idempotencyKey } = input;
    const health = new SendHealth(deps.health, input, Context.current().info.attempt, adoptsOnRetry(deps, step));
    const skipped = await health.gate();
    if (skipped) return skipped;
    // The recipient is known before anything is rendered: its addresses are scrubbed whatever fails.
    let redact = withRecipients({}, recipient);
    if (Context.current().info.attempt > 1) recordSend(step, 'retried');
    try {
      const channel = deps.channels.get(step.channel);
      const rendered = renderContent(input.content, flow, deps.otp);
      redact = withRecipients(rendered.redact, recipient);
      const sent = await channel.send({
        step,
        recipient,
        text: rendered.text,
        title: rendered.title,
        idempotencyKey,
        // Flows of 0.2.0 send as local activities, which start over at attempt 1 when a lost worker's
        // task is retried elsewhere: one that starts long after its workflow task decided it looks
        // itself up first, as a retry does. (Since 0.3 `scheduledAt` is unset: the attempt is real.)
        attempt: Math.max(
          Context.current().info.attempt,
          input.scheduledAt !== undefined && Date.now() - input.scheduledAt > REPEAT_AFTER_MS ? 2 : 1,
        ),
        expirySeconds: input.expirySeconds ?? input.ttlSeconds,
        owner: flow.workflowId,
      });
      recordSend(step, 'accepted');
      const receipts = await routeReceipts(deps, channel, sent.providerMessageId, flow.workflowId);
      recordParkedReceipts(receipts.early);
      const result: SendStepResult = {
        provider: channel.channel,
        providerMessageId: sent.providerMessageId,
        initial: sent.initial,
        sentAt: new Date().toISOString(),
        ...(sent.adopted ? { adopted: true } : {}),
        ...(sent.cancellable ? { cancellable: true } : {}),
        receiptPushed: receipts.pushed,
        ...(receipts.early.length > 0 ? { early: receipts.early } : {}),
      };
      health.sent(result);
      return result;
    } catch (err) {
      health.failed(err);
      throw recordSendFailure(step, toActivityFailure(err, redact));
    }
  };
}

/**
 * Whether this message's receipt will be pushed to the receiver, and the receipts that beat the
 * send's own answer. An id recorded in the index is best effort, never a reason to retry: the
 * message is accepted, and a retried send would be a second SMS. Without it, polling settles the step.
 */
async function routeReceipts(
  deps: ActivityDeps,
  channel: ChannelAdapter,
  providerMessageId: string,
  workflowId: string,
): Promise<{ pushed: boolean; early: DeliveryStatus[] }> {
  if (channel.receipts === 'callback') return { pushed: channel.callbacks === true, early: [] };
  if (channel.receipts !== 'index' || !deps.receipts) return { pushed: false, early: [] };
  try {
    const index = await deps.receipts();
    const parked = await index.claim(channel.channel, [
      { messageId: providerMessageId, owner: { kind: 'flow', workflowId } },
    ]);
    return { pushed: true, early: parked.get(providerMessageId) ?? [] };
  } catch (err) {
    log.warn('could not record the message id in the receipt index; the step settles by polling', {
      channel: channel.channel,
      error: (err as Error).name,
    });
    return { pushed: false, early: [] };
  }
}

function adoptsOnRetry(deps: ActivityDeps, step: SendStepInput['step']): boolean {
  try {
    return deps.channels.get(step.channel).sendLookup === true;
  } catch {
    return false;
  }
}

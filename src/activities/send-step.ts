import { Context, log } from '@temporalio/activity';
import { ReceiptRoutes } from '../routing/receipt-routes';
import { type DeliveryStatus } from '../shared/delivery-status';
import { type ActivityDeps } from './deps';
import { notConfigured, toActivityFailure } from './failures';
import { currentFlow, renderContent } from './render';
import { type SendStepInput, type SendStepResult } from './types';
import { reachItemToStatus } from '../providers/reach/status-map';

/** Reach keeps a queued message at most this long (reach.md: validityPeriod max 14400). */
const REACH_MAX_VALIDITY = 14_400;

/**
 * Sends one step of a chain through its provider. Thin: render, call the client, map errors.
 *
 * Double sends: Reach is given the step's idempotency key as `bulkIdentifier`, and a retried
 * attempt looks it up before sending again, adopting a message the provider already accepted.
 * SMSBAT offers no lookup by tracking id, so its window is at-least-once: a worker that dies after
 * SMSBAT accepted the request but before the activity completed re-sends on retry (with the same
 * tracking `id`). Email likewise, with the key as Message-ID so mailboxes can de-duplicate.
 */
export function createSendStep(deps: ActivityDeps) {
  return async function sendStep(input: SendStepInput): Promise<SendStepResult> {
    const info = Context.current().info;
    const flow = currentFlow();
    const { step, recipient, idempotencyKey, ttlSeconds } = input;
    try {
      switch (step.channel) {
        case 'smsbat': {
          if (!deps.smsbat) throw notConfigured('smsbat');
          const text = renderContent(input.content, flow, deps.otp);
          const sent = await deps.smsbat.send(
            {
              id: idempotencyKey,
              fromName: step.fromName,
              toPhone: recipient.phone!,
              messageType: step.messageType,
              // A flash call verifies by the calling number itself and carries no text (smsbat.md §1).
              text: step.messageType === 'flashcall' ? undefined : text,
              ttl: ttlSeconds,
              surveyOptions: step.surveyOptions,
            },
            { route: step.route },
          );
          let receiptPushed = false;
          if (deps.receiptRouting) {
            // Best effort, never a reason to retry: the message is accepted, and a retried send
            // would be a second SMS. Without the claim, polling still settles the step.
            receiptPushed = await new ReceiptRoutes(Context.current().client, info.taskQueue)
              .claim('smsbat', sent.messageId, flow.workflowId)
              .then(() => true)
              .catch((err: unknown) => {
                log.warn('could not claim SMSBAT receipts', { error: String(err) });
                return false;
              });
          }
          return {
            ...result('smsbat', sent.messageId, pending('smsbat', sent.messageId, 'accepted')),
            receiptPushed,
          };
        }
        case 'reach': {
          if (!deps.reach) throw notConfigured('reach');
          // Reach posts the receipt to the callback URL each message names.
          const receiptPushed = deps.reachCallbackUrl !== undefined;
          if (info.attempt > 1) {
            const existing = await deps.reach.list({ bulkIdentifier: idempotencyKey, dest: recipient.phone! });
            if (existing.length > 0) {
              const item = existing[0];
              return {
                ...result('reach', item.messageId, reachItemToStatus(item)),
                adopted: true,
                receiptPushed,
              };
            }
          }
          const item = await deps.reach.create({
            dest: recipient.phone!,
            src: step.src,
            body: renderContent(input.content, flow, deps.otp),
            bulkIdentifier: idempotencyKey,
            statusCallback: deps.reachCallbackUrl?.(flow.workflowId),
            maxPrice: step.maxPrice,
            validityPeriod: ttlSeconds === undefined ? undefined : Math.min(ttlSeconds, REACH_MAX_VALIDITY),
          });
          return {
            ...result('reach', item.messageId, reachItemToStatus(item)),
            receiptPushed,
          };
        }
        case 'email': {
          if (!deps.email) throw notConfigured('email');
          const status = await deps.email.send({
            to: recipient.email!,
            from: step.from,
            subject: step.subject ?? defaultSubject(input),
            text: renderContent(input.content, flow, deps.otp),
            idempotencyKey,
          });
          return result('email', status.providerMessageId, status);
        }
      }
    } catch (err) {
      throw toActivityFailure(err);
    }
  };
}

function result(provider: SendStepResult['provider'], id: string, initial: DeliveryStatus): SendStepResult {
  return { provider, providerMessageId: id, initial, sentAt: new Date().toISOString() };
}

function pending(provider: DeliveryStatus['provider'], id: string, raw: string): DeliveryStatus {
  return { provider, providerMessageId: id, state: 'pending', rawStatus: raw };
}

function defaultSubject(input: SendStepInput): string {
  if (input.content.kind === 'otp') return `${input.content.appName ?? 'Your'} verification code`.trim();
  return 'Message';
}

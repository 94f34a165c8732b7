import { Context, log } from '@temporalio/activity';
import { type BatchResult, type ChannelAdapter } from '../channels';
import { type BulkMessage } from '../shared/schemas';
import { type BulkMessageState } from '../shared/types';
import { readBulkSource } from './bulk-source';
import { type ActivityDeps } from './deps';
import { scrub, toActivityFailure, withRecipients, type Redaction } from './failures';
import {
  type BulkSource,
  type CheckBulkStatusesInput,
  type SendBulkBatchInput,
  type SendBulkBatchResult,
} from './types';

/**
 * Status checks of many messages, as SMSBAT's page asks (smsbat.md §2): groups of ten, a pause of a
 * second between groups.
 */
export const STATUS_GROUP = 10;
export const STATUS_GROUP_PAUSE_MS = 1000;

/**
 * Bulk sending over the channel's adapter: one provider request per batch where the provider has
 * one (SMSBAT: up to 1000, with refused recipients isolated), else one request per message
 * (Reach). When every message failed retryably the activity fails and is retried; single bad
 * messages are recorded `invalid` (refused) or `failed`, and the rest go once. The ids are
 * recorded in the receipt index for the chunk, each with its slot, in one transaction.
 */
export function createBulkActivities(deps: ActivityDeps) {
  async function sendBulkBatch(input: SendBulkBatchInput): Promise<SendBulkBatchResult> {
    const { bulkId, step, source, offset, count } = input;
    try {
      const messages = readBulkSource(source, deps.bulkDirs ?? []).slice(offset, offset + count);
      const channel = deps.channels.get(step.channel);
      const owner = Context.current().info.workflowExecution!.workflowId;
      const results = channel.sendBatch
        ? await channel.sendBatch({
            step,
            bulkId,
            messages,
            attempt: Context.current().info.attempt,
            owner,
            firstSlot: input.slot ?? 0,
          })
        : [];
      const retryable = results.filter((r) => !r.ok && r.error.retryable);
      if (results.length > 0 && retryable.length === results.length) {
        throw toActivityFailure((retryable[0] as { error: Error }).error, redactionOf(messages));
      }
      const states = results.map((r, i) => stateOf(messages[i], r));
      const receiptsPushed = await claimBatch(deps, channel, states, input.slot ?? 0);
      return { states, receiptsPushed };
    } catch (err) {
      throw toActivityFailure(err);
    }
  }

  async function checkBulkStatuses({ provider, providerMessageIds }: CheckBulkStatusesInput) {
    const channel = deps.channels.get(provider);
    const states: BulkMessageState['state'][] = [];
    for (let i = 0; i < providerMessageIds.length; i += STATUS_GROUP) {
      if (i > 0) await new Promise((r) => setTimeout(r, STATUS_GROUP_PAUSE_MS));
      Context.current().heartbeat(i);
      const group = providerMessageIds.slice(i, i + STATUS_GROUP);
      states.push(
        ...(await Promise.all(
          group.map(async (id): Promise<BulkMessageState['state']> => {
            try {
              const { state } = await channel.status(id);
              return state === 'delivered' || state === 'failed' ? state : 'pending';
            } catch {
              return 'pending'; // the next pass asks again
            }
          }),
        )),
      );
    }
    return states;
  }

  async function countBulkSource(source: BulkSource): Promise<number> {
    return readBulkSource(source, deps.bulkDirs ?? []).length;
  }

  return { sendBulkBatch, checkBulkStatuses, countBulkSource };
}

function stateOf(message: BulkMessage, r: BatchResult): BulkMessageState {
  const { id } = message;
  if (r.ok) return { id, providerMessageId: r.providerMessageId, state: 'pending' };
  // Refused as sent (400): this message is invalid at the provider; anything else failed it.
  const refused = r.error.kind === 'invalid_request';
  return { id, state: refused ? 'invalid' : 'failed', error: errorSummary(r.error, redactionOf([message])) };
}

/** A campaign's texts are its own, but its recipients' numbers are personal data: both scrubbed. */
function redactionOf(messages: BulkMessage[]): Redaction {
  return withRecipients({ secrets: messages.map((m) => m.text) }, ...messages.map((m) => ({ phone: m.phone })));
}

/** The provider's code and field, and its words with the message's text and number taken out. */
function errorSummary(error: { code?: string; field?: string; message: string }, redact: Redaction): string {
  return [error.code, error.field && `field ${error.field}`, scrub(error.message, redact)].filter(Boolean).join(': ');
}

/** Records the batch's ids for the chunk; true when the receiver will push their receipts. */
async function claimBatch(
  deps: ActivityDeps,
  channel: ChannelAdapter,
  states: BulkMessageState[],
  firstSlot: number,
): Promise<boolean> {
  // A channel whose messages name their chunk in a callback URL needs no index.
  if (channel.receipts === 'callback') return channel.callbacks === true;
  if (channel.receipts !== 'index' || !deps.receipts) return false;
  const workflowId = Context.current().info.workflowExecution!.workflowId;
  const claims = states.flatMap((s, i) =>
    s.providerMessageId
      ? [{ messageId: s.providerMessageId, owner: { kind: 'bulk' as const, workflowId, slot: firstSlot + i } }]
      : [],
  );
  try {
    const parked = await (await deps.receipts()).claim(channel.channel, claims);
    // Receipts that beat the answer: their final state is applied here.
    for (const s of states) {
      const final = parked
        .get(s.providerMessageId ?? '')
        ?.filter((r) => r.state === 'delivered' || r.state === 'failed')
        .at(-1);
      if (final) s.state = final.state as 'delivered' | 'failed';
    }
    return true;
  } catch (err) {
    log.warn('could not record the batch in the receipt index; its statuses are polled', {
      error: (err as Error).name,
    });
    return false;
  }
}

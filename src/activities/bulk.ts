import { Context, log } from '@temporalio/activity';
import { type BatchResult, type ChannelAdapter } from '../channels';
import { isAmbiguous, type ProviderError } from '../providers/errors';
import { type BulkMessage } from '../shared/schemas';
import { type BulkMessageState } from '../shared/types';
import { pinBulkSource, readBulkSource } from './bulk-source';
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
    if (input.v3) return sendBulkBatchV3(input);
    const { bulkId, step, source, offset, count } = input;
    try {
      const messages = (await readBulkSource(source, deps.bulkDirs ?? [])).slice(offset, offset + count);
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

  /**
   * Since 0.3.0 a batch never fails as a whole for a provider's trouble: each message comes back
   * with its state (`queued` for a retryable failure, sent again by a later pass of the chunk;
   * `unknown` for a lost answer the provider cannot be asked about). A second attempt means the
   * first was lost mid-request (a worker died, the deadline passed): where the provider can be
   * asked the channel looks each message up first; SMSBAT's messages are reported `unknown`
   * without another request, unless the campaign opted in to re-send.
   */
  async function sendBulkBatchV3(input: SendBulkBatchInput): Promise<SendBulkBatchResult> {
    const { bulkId, step, source, offset, count, indices } = input;
    const ctx = Context.current();
    // Heartbeats only while a request runs long: a heartbeat shortly before completing holds the
    // completion back (the SDK flushes it first), which cost a campaign half its throughput.
    const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
    try {
      const range = (await readBulkSource(source, deps.bulkDirs ?? [])).slice(offset, offset + count);
      const firstSlot = input.slot ?? 0;
      const picked = indices ?? range.map((_, i) => i);
      const messages = picked.map((i, k) => ({ ...range[i], slot: input.slots?.[k] ?? firstSlot + i }));
      const channel = deps.channels.get(step.channel);
      const attempt = input.lost ? Math.max(2, ctx.info.attempt) : ctx.info.attempt;
      if (attempt > 1 && !channel.batchLookup && !input.resendUnknown) {
        ctx.heartbeat();
        const states = messages.map(({ id }): BulkMessageState => ({ id, state: 'unknown', error: LOST_ANSWER }));
        return { states, receiptsPushed: false };
      }
      const results = channel.sendBatch
        ? await channel.sendBatch({
            step,
            bulkId,
            messages,
            attempt: Math.max(attempt, input.pass ?? 1),
            owner: ctx.info.workflowExecution!.workflowId,
            firstSlot,
            signal: ctx.cancellationSignal,
          })
        : [];
      const states = results.map((r, i) => stateOfV3(messages[i], r, channel, input.resendUnknown === true));
      const receiptsPushed = await claimBatch(
        deps,
        channel,
        states,
        messages.map((m) => m.slot),
      );
      return { states, receiptsPushed };
    } catch (err) {
      throw toActivityFailure(err);
    } finally {
      clearInterval(beat);
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
    return (await readBulkSource(source, deps.bulkDirs ?? [])).length;
  }

  async function pinBulkSourceActivity(source: BulkSource): Promise<{ total: number; sha256?: string }> {
    return pinBulkSource(source, deps.bulkDirs ?? []);
  }

  return { sendBulkBatch, checkBulkStatuses, countBulkSource, pinBulkSource: pinBulkSourceActivity };
}

/** Well inside bulkSendOptions' heartbeat timeout (20 s). */
const HEARTBEAT_EVERY_MS = 5000;

const LOST_ANSWER = 'the send was interrupted after the request may have reached the provider, which cannot be asked';

function stateOfV3(
  message: BulkMessage,
  r: BatchResult,
  channel: ChannelAdapter,
  resendUnknown: boolean,
): BulkMessageState {
  if (r.ok || r.error.kind === 'invalid_request') return stateOf(message, r);
  // An answer we could not read may hide an accepted message, like one that never came.
  const unreadable = r.error.kind === 'malformed_response';
  if (!r.error.retryable && !unreadable) return stateOf(message, r);
  const error = errorSummary(r.error, redactionOf([message]));
  const lost = (unreadable || isAmbiguous(r.error as ProviderError)) && !channel.batchLookup && !resendUnknown;
  if (unreadable && !lost) return stateOf(message, r);
  return { id: message.id, state: lost ? 'unknown' : 'queued', error };
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
  firstSlot: number | number[],
): Promise<boolean> {
  const slotOf = (i: number) => (typeof firstSlot === 'number' ? firstSlot + i : firstSlot[i]);
  // A channel whose messages name their chunk in a callback URL needs no index.
  if (channel.receipts === 'callback') return channel.callbacks === true;
  if (channel.receipts !== 'index' || !deps.receipts) return false;
  const workflowId = Context.current().info.workflowExecution!.workflowId;
  const claims = states.flatMap((s, i) =>
    s.providerMessageId
      ? [{ messageId: s.providerMessageId, owner: { kind: 'bulk' as const, workflowId, slot: slotOf(i) } }]
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

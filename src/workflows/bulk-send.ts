import {
  ApplicationFailure,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BulkSource, CascadeActivities } from '../activities/types';
import { cancelSignal, pauseSignal, progressQuery, resumeSignal } from '../shared/messages';
import type { BulkSendInput, BulkSendParams } from '../shared/schemas';
import { resolveParams } from './input';
import { type BulkProgress } from '../shared/types';
import { bulkChunk } from './bulk-chunk';
import { chunkProgressSignal } from './bulk-signals';
import { BULK_CHUNK_SIZE, BULK_CHUNKS_PER_RUN, BULK_READ } from './policies';
import { showDetails, showStatus } from './visibility';

const { countBulkSource } = proxyActivities<CascadeActivities>(BULK_READ);

/** Carried across continue-as-new: where the campaign is, and what it has counted. */
export interface BulkCarry {
  cursor: number;
  total: number;
  done: Omit<BulkProgress, 'paused' | 'canceled' | 'total' | 'queued'>;
  paused: boolean;
  /** Since 0.2.0: the validated parameters, so a new run does not check them again. */
  params?: BulkSendParams;
}

/**
 * A campaign of thousands to millions of messages. The parent walks the messages in chunks of
 * BULK_CHUNK_SIZE, one child workflow each (`bulkChunk`: batches, rate limit, status tracking),
 * and continues as new every BULK_CHUNKS_PER_RUN chunks, so no history grows without bound.
 * Signals `pause`, `resume`, `cancel`; query `progress`.
 */
export async function bulkSend(input: BulkSendInput, carry?: BulkCarry): Promise<BulkProgress> {
  const { params: p } = carry?.params ? { params: carry.params } : await resolveParams('bulkSend', input);
  const source: BulkSource | undefined = p.file ? { kind: 'file', ...p.file } : undefined;
  const total = carry?.total ?? (p.messages ? p.messages.length : await countBulkSource(source!));
  const done = carry?.done ?? { sent: 0, delivered: 0, failed: 0, pending: 0 };
  let cursor = carry?.cursor ?? 0;
  let paused = carry?.paused ?? false;
  let canceled = false;
  let running: { id: string; progress?: BulkProgress } | undefined;

  const progress = (): BulkProgress => {
    const live = running?.progress;
    return {
      total,
      sent: done.sent + (live?.sent ?? 0),
      delivered: done.delivered + (live?.delivered ?? 0),
      failed: done.failed + (live?.failed ?? 0),
      pending: done.pending + (live?.pending ?? 0),
      queued: total - cursor - (live ? live.total - live.queued : 0),
      ...(done.invalid || live?.invalid ? { invalid: (done.invalid ?? 0) + (live?.invalid ?? 0) } : {}),
      paused,
      canceled,
    };
  };
  const toChild = async (signal: typeof pauseSignal | typeof resumeSignal | typeof cancelSignal) => {
    if (running)
      await getExternalWorkflowHandle(running.id)
        .signal(signal)
        .catch(() => undefined);
  };
  setHandler(progressQuery, progress);
  setHandler(chunkProgressSignal, (id, counts) => {
    if (running?.id === id) running.progress = counts;
  });
  setHandler(pauseSignal, async () => {
    paused = true;
    await toChild(pauseSignal);
  });
  setHandler(resumeSignal, async () => {
    paused = false;
    await toChild(resumeSignal);
  });
  setHandler(cancelSignal, async () => {
    canceled = true;
    await toChild(cancelSignal);
  });

  for (let chunks = 0; cursor < total && !canceled; chunks++) {
    if (chunks >= BULK_CHUNKS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(() => running === undefined);
      return continueAsNew<typeof bulkSend>(input, { cursor, total, done, paused, params: p });
    }
    await condition(() => !paused || canceled);
    if (canceled) break;
    const count = Math.min(BULK_CHUNK_SIZE, total - cursor);
    const id = `${workflowInfo().workflowId}:chunk:${cursor}`;
    running = { id };
    showDetails(`sending messages ${cursor + 1}–${cursor + count} of ${total}`);
    const result = await executeChild(bulkChunk, {
      workflowId: id,
      args: [
        {
          bulkId: p.bulkId,
          step: p.step,
          source: source ?? { kind: 'inline', messages: p.messages!.slice(cursor, cursor + count) },
          offset: source ? cursor : 0,
          count,
          batchSize: p.batchSize,
          ratePerSecond: p.ratePerSecond,
          trackFor: p.trackFor,
          // A pause that arrives before the child runs must not be lost.
          paused,
          v2: true,
        },
      ],
      staticSummary: `${p.bulkId}: messages ${cursor + 1}–${cursor + count}`,
    });
    done.sent += result.sent;
    done.delivered += result.delivered;
    done.failed += result.failed;
    done.pending += result.pending;
    if (result.invalid) done.invalid = (done.invalid ?? 0) + result.invalid;
    cursor += count - result.queued;
    running = undefined;
    if (result.canceled) canceled = true;
  }
  if (cursor > total) throw ApplicationFailure.nonRetryable('bulk cursor ran past the end');
  const final = progress();
  showStatus(canceled ? 'canceled' : 'completed');
  showDetails(`${final.delivered} delivered, ${final.failed} failed, ${final.pending} without a final status`);
  return final;
}

import {
  ApplicationFailure,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { BulkSource, CascadeActivities, PrefixedActivities } from '../activities/types';
import { cancelSignal, pauseSignal, progressQuery, resumeSignal } from '../shared/messages';
import type { BulkSendInput, BulkSendParams } from '../shared/schemas';
import { resolveParams } from './input';
import { type BulkProgress } from '../shared/types';
import { bulkChunk } from './bulk-chunk';
import { type ChunkCarry } from './bulk-chunk-v3';
import { BULK_V3_PATCH, bulkResumeStateQuery, chunkProgressSignal, chunkSentSignal } from './bulk-signals';
import { BULK_CHUNK_SIZE, BULK_CHUNKS_PER_RUN, BULK_READ } from './policies';
import { showDetails, showStatus } from './visibility';

const { countBulkSource } = proxyActivities<CascadeActivities>(BULK_READ);
const { 'cascade.pinBulkSource': pinBulkSource } = proxyActivities<PrefixedActivities>(BULK_READ);

/** Carried across continue-as-new: where the campaign is, and what it has counted. */
export interface BulkCarry {
  cursor: number;
  total: number;
  done: Omit<BulkProgress, 'paused' | 'canceled' | 'total' | 'queued'>;
  paused: boolean;
  /** Since 0.2.0: the validated parameters, so a new run does not check them again. */
  params?: BulkSendParams;
  /** Since 0.3.0: the campaign file's content hash, pinned when the campaign started. */
  sha256?: string;
  /** Since 0.3.0, a campaign resumed after it ended: the states of the chunk it was in (from its cursor). */
  chunk?: ChunkCarry;
}

/**
 * A campaign of thousands to millions of messages. The parent walks the messages in chunks of
 * BULK_CHUNK_SIZE, one child workflow each (`bulkChunk`: batches, rate limit, status tracking),
 * and continues as new every BULK_CHUNKS_PER_RUN chunks, so no history grows without bound.
 * Signals `pause`, `resume`, `cancel`; query `progress`.
 */
export async function bulkSend(input: BulkSendInput, carry?: BulkCarry): Promise<BulkProgress> {
  if (patched(BULK_V3_PATCH)) return bulkSendV3(input, carry);
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
  setHandler(bulkResumeStateQuery, () => ({ cursor, total, done, runningChunk: running?.id, params: p }));
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

/**
 * The 0.3.0 campaign: the file is pinned by content; each chunk is started before any signal is
 * passed on to it (a pause or cancel that races its start is delivered once it exists); a chunk
 * that paused itself (`provider unavailable`) shows as the campaign's pause and `resume` goes on
 * from where it stopped.
 */
async function bulkSendV3(input: BulkSendInput, carry?: BulkCarry): Promise<BulkProgress> {
  // Answered while the worker checks the input and pins the file (a client may ask at once);
  // signals wait for their handlers below.
  setHandler(progressQuery, (): BulkProgress => {
    const total = carry?.total ?? input.messages?.length ?? 0;
    const done = carry?.done ?? { sent: 0, delivered: 0, failed: 0, pending: 0 };
    return { ...done, total, queued: total - (carry?.cursor ?? 0), paused: carry?.paused ?? false, canceled: false };
  });
  // Every run checks its input (a carry in a direct start could otherwise skip the worker's check).
  const { params: p } = await resolveParams('bulkSend', input);
  let sha256 = carry?.sha256;
  let total = carry?.total;
  if (p.file && sha256 === undefined) {
    const pin = await pinBulkSource({ kind: 'file', ...p.file });
    if (total !== undefined && pin.total !== total) {
      throw ApplicationFailure.nonRetryable(
        `${p.file.path} changed since the campaign started (${pin.total} messages, was ${total})`,
        'CascadeBulkFileChanged',
      );
    }
    sha256 = pin.sha256;
    total = pin.total;
  }
  total ??= p.messages!.length;
  const source: BulkSource | undefined = p.file ? { kind: 'file', ...p.file, sha256 } : undefined;
  const done = { unknown: 0, ...(carry?.done ?? { sent: 0, delivered: 0, failed: 0, pending: 0 }) };
  let cursor = carry?.cursor ?? 0;
  let paused = carry?.paused ?? false;
  let canceled = false;
  let resumeChunk = carry?.chunk;
  type Chunk = { id: string; handle?: ChildWorkflowHandle<typeof bulkChunk>; progress?: BulkProgress; sent?: boolean };
  /** The chunk sending now. */
  let running: Chunk | undefined;
  /** Chunks that sent everything and wait for receipts (up to `trackFor`) while later chunks send. */
  const tracking = new Map<string, Chunk>();
  let trackingFailure: unknown;
  const add = (result: BulkProgress) => {
    done.sent += result.sent;
    done.delivered += result.delivered;
    done.failed += result.failed;
    done.pending += result.pending;
    done.unknown += result.unknown ?? 0;
    if (result.invalid) done.invalid = (done.invalid ?? 0) + result.invalid;
  };

  const progress = (): BulkProgress => {
    const live = [running, ...tracking.values()].flatMap((c) => (c?.progress ? [c.progress] : []));
    const sum = (k: 'sent' | 'delivered' | 'failed' | 'pending' | 'unknown' | 'invalid') =>
      live.reduce((n, c) => n + (c[k] ?? 0), 0);
    const unknown = done.unknown + sum('unknown');
    const invalid = (done.invalid ?? 0) + sum('invalid');
    const current = running?.progress;
    const reason = current?.pausedReason;
    return {
      total: total!,
      sent: done.sent + sum('sent'),
      delivered: done.delivered + sum('delivered'),
      failed: done.failed + sum('failed'),
      pending: done.pending + sum('pending'),
      queued: total! - cursor - (current ? current.total - current.queued : 0),
      ...(invalid > 0 ? { invalid } : {}),
      ...(unknown > 0 ? { unknown } : {}),
      paused: paused || reason !== undefined,
      ...(reason ? { pausedReason: reason } : {}),
      canceled,
    };
  };
  const toChild = async (signal: typeof pauseSignal | typeof resumeSignal | typeof cancelSignal) => {
    if (running?.handle) await running.handle.signal(signal).catch(() => undefined);
  };
  setHandler(progressQuery, progress);
  setHandler(bulkResumeStateQuery, () => ({
    cursor,
    total: total!,
    done,
    sha256,
    runningChunk: running?.id,
    params: p,
  }));
  setHandler(chunkSentSignal, (id) => {
    if (running?.id === id) running.sent = true;
  });
  setHandler(chunkProgressSignal, (id, counts) => {
    const aside = tracking.get(id);
    if (aside) aside.progress = counts;
    if (running?.id !== id) return;
    const was = running.progress?.pausedReason;
    running.progress = counts;
    if (counts.pausedReason && counts.pausedReason !== was) {
      showStatus('paused');
      showDetails(`paused: ${counts.pausedReason} (at message ${cursor + 1}); send the resume signal to go on`);
    } else if (was && !counts.pausedReason) showStatus('running');
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
    for (const c of tracking.values()) await c.handle?.signal(cancelSignal).catch(() => undefined);
  });

  for (let chunks = 0; cursor < total && !canceled; chunks++) {
    if (trackingFailure !== undefined) throw trackingFailure;
    if (chunks >= BULK_CHUNKS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      // The children report to this workflow id: the next run starts once they all ended.
      await condition(() => running === undefined && tracking.size === 0);
      if (trackingFailure !== undefined) throw trackingFailure;
      return continueAsNew<typeof bulkSend>(input, { cursor, total, done, paused, params: p, sha256 });
    }
    await condition(() => !paused || canceled);
    if (canceled) break;
    const count = Math.min(BULK_CHUNK_SIZE, total - cursor);
    const id = `${workflowInfo().workflowId}:chunk:${cursor}${resumeChunk ? `:resumed-${workflowInfo().runId.slice(0, 8)}` : ''}`;
    running = { id };
    showDetails(`sending messages ${cursor + 1}–${cursor + count} of ${total}`);
    const startedPaused = paused;
    const handle = await startChild(bulkChunk, {
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
          paused,
          v2: true,
          ...(p.autoResume !== undefined ? { autoResume: p.autoResume } : {}),
          ...(p.resendUnknown ? { resendUnknown: true } : {}),
          ...(resumeChunk && resumeChunk.states.length === count ? { carry: resumeChunk } : {}),
        },
      ],
      staticSummary: `${p.bulkId}: messages ${cursor + 1}–${cursor + count}`,
    });
    resumeChunk = undefined;
    const chunk = running;
    chunk.handle = handle;
    // Signals that arrived while the chunk was being started reach it now that it exists.
    if (canceled) await handle.signal(cancelSignal).catch(() => undefined);
    else if (paused !== startedPaused) await handle.signal(paused ? pauseSignal : resumeSignal).catch(() => undefined);
    let result: BulkProgress | undefined;
    let failed: { err: unknown } | undefined;
    const ended = handle.result().then(
      (r) => void (result = r),
      (err: unknown) => void (failed = { err }),
    );
    await condition(() => result !== undefined || failed !== undefined || chunk.sent === true);
    if (failed) throw failed.err;
    running = undefined;
    if (result) {
      add(result);
      cursor += count - result.queued;
      if (result.canceled) canceled = true;
      continue;
    }
    // Every message of the chunk is with the provider: its receipts come in while the next sends.
    cursor += count;
    tracking.set(chunk.id, chunk);
    void ended.then(() => {
      tracking.delete(chunk.id);
      if (failed) trackingFailure ??= failed.err;
      else add(result!);
    });
  }
  await condition(() => tracking.size === 0);
  if (trackingFailure !== undefined) throw trackingFailure;
  if (cursor > total) throw ApplicationFailure.nonRetryable('bulk cursor ran past the end');
  const final = progress();
  showStatus(canceled ? 'canceled' : 'completed');
  showDetails(
    `${final.delivered} delivered, ${final.failed} failed, ${final.pending} without a final status` +
      (final.unknown ? `, ${final.unknown} unknown (answer lost, not re-sent)` : ''),
  );
  return final;
}

import {
  ActivityFailure,
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { BulkSource, BulkStep, CascadeActivities, SendBulkBatchResult } from '../activities/types';
import { toMs } from '../shared/durations';
import {
  bulkMessagesQuery,
  bulkReceiptsSignal,
  cancelSignal,
  pauseSignal,
  progressQuery,
  resumeSignal,
} from '../shared/messages';
import { type BulkMessageState, type BulkProgress, type BulkReceipt } from '../shared/types';
import { bulkChunkV3, type ChunkCarry } from './bulk-chunk-v3';
import { BULK_V3_PATCH, chunkCarryQuery, chunkProgressSignal } from './bulk-signals';
import { CampaignTally } from './metrics';
import {
  BULK_BATCHES_IN_FLIGHT,
  BULK_POLL,
  BULK_POLL_MAX_MS,
  BULK_RATE_SLACK_MS,
  BULK_RECEIPT_GRACE_MS,
  BULK_SEND,
  RECEIPT_POLL,
} from './policies';

const { sendBulkBatch } = proxyActivities<CascadeActivities>(BULK_SEND);
const { checkBulkStatuses } = proxyActivities<CascadeActivities>(BULK_POLL);

export interface BulkChunkInput {
  bulkId: string;
  step: BulkStep;
  source: BulkSource;
  offset: number;
  count: number;
  batchSize: number;
  ratePerSecond: number;
  trackFor: string | number;
  /** The campaign was paused when this chunk started. */
  paused?: boolean;
  /** Started by 0.2.0 or later: receipts may be pushed to it (`bulkReceipts`) instead of polled. */
  v2?: boolean;
  /** Since 0.3.0: the campaign's `autoResume` and `resendUnknown`. */
  autoResume?: string | number;
  resendUnknown?: boolean;
  /** Since 0.3.0: the previous run's states (continue-as-new), or a resumed campaign's. */
  carry?: ChunkCarry;
}

/**
 * One slice of a bulk send (a child of `bulkSend`): sends its messages in provider-sized batches
 * at the campaign's rate, then polls their statuses until all are final or `trackFor` passes.
 * Per-message states live here (query `messages`); the parent only adds up counts.
 */
export async function bulkChunk(input: BulkChunkInput): Promise<BulkProgress> {
  if (patched(BULK_V3_PATCH)) return bulkChunkV3(input);
  // One slot per batch, so batches that finish out of order keep the messages in order.
  const batches: BulkMessageState[][] = [];
  const states = () => batches.flat();
  let paused = input.paused ?? false;
  let canceled = false;
  let receiptsPushed = false;
  /** Receipts for messages whose batch answer has not come back yet, by slot. */
  const early = new Map<number, BulkReceipt>();
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(cancelSignal, () => void (canceled = true));
  setHandler(bulkMessagesQuery, states);
  // For a campaign resumed after it ended (0.3.0): the states by slot, and how far sending got.
  let launched = 0;
  setHandler(chunkCarryQuery, () => ({
    states: Array.from({ length: input.count }, (_, slot) => slotState(slot) ?? null),
    next: launched,
    receiptsPushed,
  }));
  const progress = (): BulkProgress => count(states(), input.count, paused, canceled);
  setHandler(progressQuery, progress);
  const parent = workflowInfo().parent;
  const tally = new CampaignTally(input.step.channel);
  const report = async () => {
    tally.update(states());
    if (parent)
      await getExternalWorkflowHandle(parent.workflowId).signal(
        chunkProgressSignal,
        workflowInfo().workflowId,
        progress(),
      );
  };
  // At most one progress report a REPORT_EVERY_MS, never awaited: counts must not hold anything up.
  let reportedAt = 0;
  const reportEvery = input.v2 ? REPORT_EVERY_MS : LEGACY_REPORT_EVERY_MS;
  const reportSoon = () => {
    if (Date.now() - reportedAt < reportEvery) return;
    reportedAt = Date.now();
    void report().catch(() => undefined);
  };
  const slotState = (slot: number): BulkMessageState | undefined =>
    batches[Math.floor(slot / input.batchSize)]?.[slot % input.batchSize];
  const applyReceipt = (r: BulkReceipt) => {
    const s = slotState(r.slot);
    if (!s) return void early.set(r.slot, r);
    if (s.state === 'pending' && s.providerMessageId === r.providerMessageId) s.state = r.state;
  };
  // The webhook receiver's receipts for this chunk, gathered into batches.
  setHandler(bulkReceiptsSignal, (receipts) => {
    receipts.forEach(applyReceipt);
    reportSoon();
  });

  // The campaign's rate: when the next batch may go were batches spread evenly. It is held on
  // average, sleeping only once a whole BULK_RATE_SLACK_MS ahead: short server timers fire late
  // (about a second on the dev server), so a timer per batch would cap a campaign near a batch a second.
  let nextAt = Date.now();
  // Up to BULK_BATCHES_IN_FLIGHT provider requests at once: one at a time, the workflow tasks
  // between batches would cost more than the requests themselves.
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  for (let sent = 0, batch = 0; sent < input.count; batch++) {
    await condition(() => failure !== undefined || ((!paused || canceled) && inFlight.size < BULK_BATCHES_IN_FLIGHT));
    if (canceled || failure !== undefined) break;
    const n = Math.min(input.batchSize, input.count - sent);
    launched = sent + n;
    const started = Date.now();
    const send = sendBulkBatch
      .executeWithOptions(
        {
          ...BULK_SEND,
          summary: `${input.step.channel}: send messages ${input.offset + sent + 1}–${input.offset + sent + n}`,
        },
        [{ bulkId: input.bulkId, step: input.step, ...batchSource(input, sent, n), slot: sent }],
      )
      .then((done: SendBulkBatchResult) => {
        const result = Array.isArray(done) ? { states: done, receiptsPushed: false } : done;
        batches[batch] = result.states;
        receiptsPushed ||= result.receiptsPushed;
        const first = batch * input.batchSize;
        result.states.forEach((_, i) => {
          const r = early.get(first + i);
          if (r) {
            early.delete(first + i);
            applyReceipt(r);
          }
        });
        reportSoon();
      })
      .finally(() => inFlight.delete(send));
    // A batch that failed for good (after its retries) stops the sending and fails the chunk.
    send.catch((err: unknown) => void (failure ??= err));
    inFlight.add(send);
    sent += n;
    // A pause or slow sends earn no credit: the schedule restarts from this batch.
    nextAt = Math.max(nextAt, started) + (n / input.ratePerSecond) * 1000;
    const ahead = Math.ceil(nextAt - Date.now());
    if (sent < input.count && ahead >= BULK_RATE_SLACK_MS) await sleep(ahead, { summary: 'rate limit' });
  }
  await condition(() => inFlight.size === 0);
  if (failure !== undefined) throw failure;
  await report();

  const until = Date.now() + toMs(input.trackFor);
  const all = states();
  if (input.v2 && receiptsPushed) {
    await awaitPushedReceipts(all, until, () => canceled, input.step.channel);
    tally.update(all);
    return progress();
  }
  let wait: number = RECEIPT_POLL.firstMs;
  while (!canceled && all.some((s) => s.state === 'pending') && Date.now() < until) {
    await condition(() => canceled, Math.min(wait, Math.max(RECEIPT_POLL.minMs, until - Date.now())));
    const pending = all.filter((s) => s.state === 'pending' && s.providerMessageId);
    for (let i = 0; i < pending.length; i += 1000) {
      const group = pending.slice(i, i + 1000);
      try {
        const found = await checkBulkStatuses({
          provider: input.step.channel,
          providerMessageIds: group.map((s) => s.providerMessageId!),
        });
        group.forEach((s, j) => (s.state = found[j]));
      } catch (err) {
        // A failed status pass leaves messages pending; the next pass asks again.
        if (!(err instanceof ActivityFailure)) throw err;
      }
    }
    await report();
    wait = Math.min(wait * RECEIPT_POLL.factor, RECEIPT_POLL.maxMs);
  }
  tally.update(all);
  return progress();
}

/** How often a chunk tells its parent its counts while receipts come in (chunks before 0.2.0: every second). */
const REPORT_EVERY_MS = 2000;
const LEGACY_REPORT_EVERY_MS = 1000;

/**
 * Receipts are pushed (the receiver hands them over in batches): wait for them, waking only when
 * every message is final, the chunk is canceled, or the safety net is due — a status lookup of the
 * messages still without a final receipt BULK_RECEIPT_GRACE_MS after sending, then with backoff
 * (the activity keeps SMSBAT's etiquette: ten at a time, a second apart).
 */
async function awaitPushedReceipts(
  all: BulkMessageState[],
  until: number,
  canceled: () => boolean,
  provider: BulkStep['channel'],
): Promise<void> {
  const pending = () => all.filter((s) => s.state === 'pending' && s.providerMessageId);
  let wait = BULK_RECEIPT_GRACE_MS;
  for (;;) {
    const left = until - Date.now();
    if (canceled() || pending().length === 0 || left <= 0) return;
    const woke = await condition(
      () => canceled() || pending().length === 0,
      Math.max(RECEIPT_POLL.minMs, Math.min(wait, left)),
    );
    if (woke || Date.now() >= until) continue;
    const group = pending();
    for (let i = 0; i < group.length; i += 1000) {
      const part = group.slice(i, i + 1000);
      try {
        const found = await checkBulkStatuses({ provider, providerMessageIds: part.map((s) => s.providerMessageId!) });
        part.forEach((s, j) => {
          if (s.state === 'pending') s.state = found[j] as BulkMessageState['state'];
        });
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
      }
    }
    wait = Math.min(wait * 2, BULK_POLL_MAX_MS);
  }
}

/** Inline messages: only the batch's own slice travels to the activity (and into history). */
function batchSource(input: BulkChunkInput, sent: number, n: number) {
  return input.source.kind === 'inline'
    ? {
        source: { kind: 'inline' as const, messages: input.source.messages.slice(sent, sent + n) },
        offset: 0,
        count: n,
      }
    : { source: input.source, offset: input.offset + sent, count: n };
}

function count(states: BulkMessageState[], total: number, paused: boolean, canceled: boolean): BulkProgress {
  const by = (state: BulkMessageState['state']) => states.filter((s) => s.state === state).length;
  const invalid = by('invalid');
  const failed = by('failed') + invalid;
  const delivered = by('delivered');
  const pending = by('pending');
  return {
    total,
    sent: delivered + pending + states.filter((s) => s.state === 'failed' && s.providerMessageId).length,
    delivered,
    failed,
    pending,
    queued: total - states.length,
    ...(invalid > 0 ? { invalid } : {}),
    paused,
    canceled,
  };
}

import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { PrefixedActivities, SendBulkBatchInput, SendBulkBatchResult } from '../activities/types';
import { toMs } from '../shared/durations';
import {
  bulkMessagesQuery,
  bulkReceiptsSignal,
  cancelSignal,
  ErrorTypes,
  pauseSignal,
  progressQuery,
  resumeSignal,
} from '../shared/messages';
import { type BulkMessageState, type BulkProgress, type BulkReceipt } from '../shared/types';
import type { BulkChunkInput } from './bulk-chunk';

export type { ChunkCarry } from './bulk-signals';
import { chunkCarryQuery, chunkProgressSignal, chunkSentSignal, PROVIDER_UNAVAILABLE } from './bulk-signals';
import { CampaignTally } from './metrics';
import {
  BULK_BATCHES_IN_FLIGHT,
  BULK_CHUNK_MAX_EVENTS,
  BULK_POLL,
  BULK_POLL_MAX_MS,
  BULK_RATE_SLACK_MS,
  BULK_RECEIPT_GRACE_MS,
  BULK_RETRY,
  bulkSendOptions,
  RECEIPT_POLL,
} from './policies';

const { 'cascade.sendBulkBatch': sendBulkBatch } = proxyActivities<PrefixedActivities>(bulkSendOptions(1000));
// Status checks heartbeat each group of ten: a worker lost mid-check is noticed in seconds, not after 5 minutes.
const { 'cascade.checkBulkStatuses': checkBulkStatuses } = proxyActivities<PrefixedActivities>({
  ...BULK_POLL,
  heartbeatTimeout: '15s',
});
/** Messages per status-check activity: small enough to finish between worker restarts. */
const POLL_GROUP = 100;

/**
 * The 0.3.0 chunk: per-message states by slot; retryable failures sent again in later passes with
 * backoff; lost answers `unknown` (never re-posted blindly); a provider that keeps failing pauses
 * the chunk with a reason instead of failing the campaign; long tracking continues as new.
 */
export async function bulkChunkV3(input: BulkChunkInput): Promise<BulkProgress> {
  // Its input was checked, and its file pinned, by the campaign that started it: a chunk started
  // any other way would send what nobody checked. A continued run keeps its parent.
  const parent = workflowInfo().parent;
  if (!parent || !workflowInfo().workflowId.startsWith(`${parent.workflowId}:chunk:`)) {
    throw ApplicationFailure.nonRetryable(
      'bulkChunk runs only as a child of a bulkSend campaign: start a campaign with CascadeClient.startBulk (or the bulkSend workflow) instead',
      ErrorTypes.chunkOutsideCampaign,
    );
  }
  const carry = input.carry;
  const states: (BulkMessageState | null)[] = carry?.states ?? new Array<null>(input.count).fill(null);
  let next = carry?.next ?? 0;
  let paused = input.paused ?? false;
  let pausedReason = carry?.pausedReason;
  let canceled = false;
  let receiptsPushed = carry?.receiptsPushed ?? false;
  /** Failed passes in a row (nothing sent): past BULK_RETRY.passes the provider is unavailable. */
  let failedPasses = 0;
  const early = new Map<number, BulkReceipt>();

  setHandler(pauseSignal, () => {
    paused = true;
    pausedReason = undefined;
  });
  setHandler(resumeSignal, () => {
    paused = false;
    pausedReason = undefined;
    failedPasses = 0;
  });
  setHandler(cancelSignal, () => void (canceled = true));
  setHandler(bulkMessagesQuery, () => states.filter((s): s is BulkMessageState => s !== null));
  setHandler(chunkCarryQuery, () => ({ states, next, receiptsPushed }));
  const progress = (): BulkProgress => countStates(states, paused, pausedReason, canceled);
  setHandler(progressQuery, progress);
  const live = () => states.filter((s): s is BulkMessageState => s !== null);
  // Seeded with a carried run's states: a continued chunk counts only what changes after.
  const tally = new CampaignTally(input.step.channel, live());
  const report = async () => {
    tally.update(live());
    if (parent)
      await getExternalWorkflowHandle(parent.workflowId).signal(
        chunkProgressSignal,
        workflowInfo().workflowId,
        progress(),
      );
  };
  let reportedAt = 0;
  const reportSoon = () => {
    if (Date.now() - reportedAt < REPORT_EVERY_MS) return;
    reportedAt = Date.now();
    void report().catch(() => undefined);
  };
  const applyReceipt = (r: BulkReceipt) => {
    const s = states[r.slot];
    if (!s || s.state === 'queued') return void early.set(r.slot, r);
    if (s.state === 'pending' && s.providerMessageId === r.providerMessageId) s.state = r.state;
  };
  setHandler(bulkReceiptsSignal, (receipts) => {
    receipts.forEach(applyReceipt);
    reportSoon();
  });

  const carryOn = (until?: number, wait?: number) => {
    tally.update(live());
    return continueAsNew<(i: BulkChunkInput) => Promise<BulkProgress>>({
      ...input,
      paused,
      carry: { states, next, until, receiptsPushed, wait, pausedReason },
    });
  };
  const historyFull = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > BULK_CHUNK_MAX_EVENTS;

  if (carry?.until === undefined) {
    let nextAt = Date.now();
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    /** A batch came back with every message failed retryably: stop starting new ones. */
    let trouble = false;
    let sentSomething = false;

    const launch = async (slots: number[], lost: boolean, pass: number) => {
      const n = slots.length;
      const started = Date.now();
      const first = slots[0];
      const contiguous = slots[n - 1] - first === n - 1;
      const args: SendBulkBatchInput = {
        bulkId: input.bulkId,
        step: input.step,
        ...sourceOf(input, slots, contiguous),
        v3: true,
        pass,
        ...(lost ? { lost: true } : {}),
        ...(input.resendUnknown ? { resendUnknown: true } : {}),
      };
      const send = sendBulkBatch
        .executeWithOptions(
          {
            ...bulkSendOptions(n),
            summary: `${input.step.channel}: send ${n} messages from ${input.offset + first + 1}${pass > 1 ? ` (pass ${pass})` : ''}`,
          },
          [args],
        )
        .then((done: SendBulkBatchResult) => {
          const result = Array.isArray(done) ? { states: done, receiptsPushed: false } : done;
          receiptsPushed ||= result.receiptsPushed;
          result.states.forEach((s, k) => {
            const slot = slots[k];
            states[slot] = s;
            const r = early.get(slot);
            if (r && s.state !== 'queued') {
              early.delete(slot);
              applyReceipt(r);
            }
          });
          if (result.states.some((s) => s.state !== 'queued')) sentSomething = true;
          else trouble = true;
          reportSoon();
        })
        .catch((err: unknown) => {
          // The activity's own retries are spent (its worker kept dying, its deadline kept passing):
          // the messages may have gone out. A later pass asks the provider where it can.
          if (err instanceof ActivityFailure && !(err.cause instanceof ApplicationFailure && err.cause.nonRetryable)) {
            const why = 'the send was lost mid-request';
            for (const slot of slots)
              states[slot] = { id: states[slot]?.id ?? '', state: 'queued', error: why, lost: true };
            trouble = true;
            return;
          }
          failure ??= err;
        })
        .finally(() => inFlight.delete(send));
      inFlight.add(send);
      nextAt = Math.max(nextAt, started) + (n / input.ratePerSecond) * 1000;
      const ahead = Math.ceil(nextAt - Date.now());
      if (ahead >= BULK_RATE_SLACK_MS) await sleep(ahead, { summary: 'rate limit' });
    };
    const ready = () =>
      condition(() => failure !== undefined || canceled || paused || trouble || inFlight.size < BULK_BATCHES_IN_FLIGHT);

    for (let pass = 1; ;) {
      if (historyFull() && inFlight.size === 0) return carryOn();
      await condition(() => canceled || failure !== undefined || !paused);
      if (canceled || failure !== undefined) break;
      trouble = false;
      sentSomething = false;
      // Messages that failed retryably first (in groups that need the same handling), then new ones.
      const retry = states.flatMap((s, slot) => (s?.state === 'queued' ? [slot] : []));
      for (const lost of [true, false]) {
        const group = retry.filter((slot) => (states[slot]!.lost === true) === lost);
        for (let i = 0; i < group.length; i += input.batchSize) {
          await ready();
          if (paused || canceled || trouble || failure !== undefined) break;
          await launch(group.slice(i, i + input.batchSize), lost, pass + 1);
        }
      }
      while (next < input.count) {
        await ready();
        if (paused || canceled || trouble || failure !== undefined) break;
        const n = Math.min(input.batchSize, input.count - next);
        const slots = Array.from({ length: n }, (_, k) => next + k);
        next += n;
        await launch(slots, false, 1);
      }
      await condition(() => inFlight.size === 0);
      if (canceled || failure !== undefined) break;
      if (next >= input.count && !states.some((s) => s?.state === 'queued')) break;
      if (paused) continue;
      failedPasses = sentSomething ? 0 : failedPasses + 1;
      pass++;
      if (failedPasses < BULK_RETRY.passes) {
        const backoff = Math.min(
          BULK_RETRY.firstMs * BULK_RETRY.factor ** Math.max(0, failedPasses - 1),
          BULK_RETRY.maxMs,
        );
        await condition(() => canceled || paused, backoff);
        continue;
      }
      // The provider keeps failing: pause with a reason, rather than fail the campaign.
      paused = true;
      pausedReason = PROVIDER_UNAVAILABLE;
      await report().catch(() => undefined);
      const resumeWhen = () => canceled || !paused;
      const resumed =
        input.autoResume !== undefined
          ? await condition(resumeWhen, toMs(input.autoResume))
          : (await condition(resumeWhen), true);
      if (!resumed) {
        paused = false;
        pausedReason = undefined;
      }
      failedPasses = 0;
    }
    await condition(() => inFlight.size === 0);
    if (failure !== undefined) throw failure;
    await report();
  }
  /**
   * Tells the campaign, once a run, that receipts are still missing after the first wait: it starts
   * its next chunk instead of waiting out `trackFor` for a few lost receipts (the campaign ignores
   * a second telling).
   */
  let toldSent = false;
  const tellSent = async () => {
    if (toldSent || canceled) return;
    toldSent = true;
    await getExternalWorkflowHandle(parent.workflowId)
      .signal(chunkSentSignal, workflowInfo().workflowId)
      .catch(() => undefined);
  };

  const until = carry?.until ?? Date.now() + toMs(input.trackFor);
  const pending = () => states.filter((s): s is BulkMessageState => s?.state === 'pending' && !!s.providerMessageId);
  let wait = carry?.wait ?? (receiptsPushed ? BULK_RECEIPT_GRACE_MS : RECEIPT_POLL.firstMs);
  for (let last = false; !last;) {
    const left = until - Date.now();
    if (canceled || pending().length === 0) break;
    if (historyFull()) return carryOn(until, wait);
    if (receiptsPushed) {
      const woke = await condition(
        () => canceled || pending().length === 0,
        Math.max(RECEIPT_POLL.minMs, Math.min(wait, left)),
      );
      if (woke) continue;
    } else {
      await condition(() => canceled, Math.min(wait, Math.max(RECEIPT_POLL.minMs, left)));
      if (canceled) break;
    }
    await tellSent();
    // Tracking ends with one last look-up of whatever is still pending: a receipt lost on its way
    // (a receiver restarted, a push the provider gave up on) is asked for once before the end.
    last = Date.now() >= until;
    const group = pending();
    let found = 0;
    for (let i = 0; i < group.length && (last || Date.now() < until) && !canceled; i += POLL_GROUP) {
      const part = group.slice(i, i + POLL_GROUP);
      try {
        const states = await checkBulkStatuses({
          provider: input.step.channel,
          providerMessageIds: part.map((s) => s.providerMessageId!),
        });
        part.forEach((s, j) => {
          if (s.state !== 'pending' || states[j] === 'pending') return;
          s.state = states[j] as BulkMessageState['state'];
          found++;
        });
        // A long look-up (paced GETs) shows its answers as they come, as pushed receipts do.
        if (found > 0) reportSoon();
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
      }
    }
    // With receipts pushed, a round that settled nothing tells the campaign nothing: weeks of
    // tracking would otherwise be a signal to it every few minutes. A report is only a view: one
    // that cannot be delivered does not end the tracking (the chunk's result carries the counts).
    if (found > 0 || !receiptsPushed) await report().catch(() => undefined);
    else tally.update(live());
    wait = receiptsPushed
      ? Math.min(wait * 2, BULK_POLL_MAX_MS)
      : Math.min(wait * RECEIPT_POLL.factor, RECEIPT_POLL.maxMs);
  }
  tally.update(live());
  return progress();
}

const REPORT_EVERY_MS = 2000;

/** A batch's messages: a contiguous range, or (a later pass) chosen slots of the chunk. */
function sourceOf(
  input: BulkChunkInput,
  slots: number[],
  contiguous: boolean,
): Pick<SendBulkBatchInput, 'source' | 'offset' | 'count' | 'slot' | 'indices' | 'slots'> {
  const first = slots[0];
  if (input.source.kind === 'inline') {
    const messages = input.source.messages;
    return {
      source: { kind: 'inline', messages: slots.map((s) => messages[s]) },
      offset: 0,
      count: slots.length,
      ...(contiguous ? { slot: first } : { slots }),
    };
  }
  return contiguous
    ? { source: input.source, offset: input.offset + first, count: slots.length, slot: first }
    : { source: input.source, offset: input.offset, count: input.count, indices: slots, slots };
}

export function countStates(
  states: (BulkMessageState | null)[],
  paused: boolean,
  pausedReason: string | undefined,
  canceled: boolean,
): BulkProgress {
  let delivered = 0,
    pending = 0,
    failed = 0,
    invalid = 0,
    unknown = 0,
    sentFailed = 0;
  for (const s of states) {
    if (!s) continue;
    if (s.state === 'delivered') delivered++;
    else if (s.state === 'pending') pending++;
    else if (s.state === 'invalid') invalid++;
    else if (s.state === 'unknown') unknown++;
    else if (s.state === 'failed') {
      failed++;
      if (s.providerMessageId) sentFailed++;
    }
  }
  const total = states.length;
  const settled = delivered + pending + failed + invalid + unknown;
  return {
    total,
    sent: delivered + pending + sentFailed,
    delivered,
    failed: failed + invalid,
    pending,
    queued: total - settled,
    ...(invalid > 0 ? { invalid } : {}),
    ...(unknown > 0 ? { unknown } : {}),
    paused,
    ...(pausedReason ? { pausedReason } : {}),
    canceled,
  };
}

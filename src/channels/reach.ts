import { isAmbiguous, ProviderError } from '../providers/errors';
import { type ReachClient } from '../providers/reach/client';
import { REACH_LIMITS } from '../providers/reach/schemas';
import { reachItemToStatus } from '../providers/reach/status-map';
import { type Step } from '../shared/schemas';
import { type BatchRequest, type BatchResult, type ChannelAdapter, type SendRequest, type Sent } from './types';

type ReachStep = Extract<Step, { channel: 'reach' }>;

/** Reach requests of one bulk batch in flight at once (Reach has no batch endpoint). */
const BATCH_CONCURRENCY = 8;

/**
 * Reach (TalkyLabs) SMS. Each message names its flow in a signed status-callback URL, so receipts
 * need no index. Its `validityPeriod` is the step's expiry (at most 4 h). A retried send looks
 * itself up by its idempotency key (`bulkIdentifier`) and adopts a message Reach already took.
 */
export class ReachChannel implements ChannelAdapter<ReachStep> {
  readonly channel = 'reach' as const;
  readonly receipts = 'callback' as const;
  readonly callbacks: boolean;
  readonly batchLookup = true;
  readonly sendLookup = true;

  constructor(
    private readonly client: ReachClient,
    private readonly callbackUrl?: (workflowId: string, slot?: number) => string,
  ) {
    this.callbacks = callbackUrl !== undefined;
  }

  async send(request: SendRequest<ReachStep>): Promise<Sent> {
    const { step, recipient, text, idempotencyKey, attempt, expirySeconds, owner } = request;
    if (attempt > 1) {
      const [existing] = await this.client.list({ bulkIdentifier: idempotencyKey, dest: recipient.phone! });
      if (existing) return sent(existing, true);
    }
    const item = await this.client.create({
      dest: recipient.phone!,
      src: step.src,
      body: text,
      bulkIdentifier: idempotencyKey,
      statusCallback: this.callbackUrl?.(owner),
      maxPrice: step.maxPrice,
      validityPeriod: validity(expirySeconds),
    });
    return sent(item, false);
  }

  /**
   * One create per message, grouped by the campaign's `bulkIdentifier`; a retried batch looks up
   * only its own messages. A create whose answer was lost (timeout, 502/504) is looked up at once
   * and sent again only when Reach has no record of it.
   */
  async sendBatch({
    step,
    bulkId,
    messages,
    attempt,
    owner,
    firstSlot,
    signal,
  }: BatchRequest<ReachStep>): Promise<BatchResult[]> {
    const lookUp = async (m: BatchRequest['messages'][number]) =>
      (await this.client.list({ bulkIdentifier: bulkId, dest: m.phone }, { maxPages: 5 })).find(
        (e) => e.body === m.text,
      );
    return mapLimit(messages, BATCH_CONCURRENCY, async (m, i): Promise<BatchResult> => {
      const create = async () => {
        signal?.throwIfAborted();
        return (
          await this.client.create({
            dest: m.phone,
            src: step.src,
            body: m.text,
            bulkIdentifier: bulkId,
            statusCallback: this.callbackUrl?.(owner, m.slot ?? firstSlot + i),
            maxPrice: step.maxPrice,
          })
        ).messageId;
      };
      try {
        if (attempt > 1) {
          const adopted = await lookUp(m);
          if (adopted) return { ok: true, providerMessageId: adopted.messageId };
        }
        try {
          return { ok: true, providerMessageId: await create() };
        } catch (err) {
          if (!(err instanceof ProviderError) || !isAmbiguous(err)) throw err;
          const adopted = await lookUp(m);
          return { ok: true, providerMessageId: adopted ? adopted.messageId : await create() };
        }
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        return { ok: false, error: err };
      }
    });
  }

  status(providerMessageId: string) {
    return this.client.getStatus(providerMessageId);
  }

  async cancel(providerMessageId: string) {
    await this.client.unschedule(providerMessageId);
    return this.client.getStatus(providerMessageId);
  }
}

function sent(item: Parameters<typeof reachItemToStatus>[0], adopted: boolean): Sent {
  const initial = reachItemToStatus(item);
  return {
    providerMessageId: item.messageId,
    initial,
    ...(adopted ? { adopted } : {}),
    ...(initial.rawStatus.toLowerCase() === 'scheduled' ? { cancellable: true } : {}),
  };
}

/** Reach keeps a queued message at most 14400 s; the seed recommends at least 5. */
function validity(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : Math.min(REACH_LIMITS.maxValiditySec, Math.max(5, Math.ceil(seconds)));
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}

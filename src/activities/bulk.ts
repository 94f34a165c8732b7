import { Context } from '@temporalio/activity';
import { ProviderError } from '../providers/errors';
import { type BulkMessageState } from '../shared/types';
import { readBulkSource } from './bulk-source';
import { type ActivityDeps } from './deps';
import { notConfigured, toActivityFailure } from './failures';
import { type BulkSource, type CheckBulkStatusesInput, type SendBulkBatchInput } from './types';

/**
 * Bulk sending. SMSBAT takes up to 1000 messages per request (smsbat.md §1, bulk guidance);
 * Reach has no batch endpoint, so its messages go one request each, a few at a time, grouped by
 * `bulkIdentifier`. When a whole batch fails with a retryable error the activity fails and is
 * retried; single bad messages are recorded as failed and the rest go on.
 */
export function createBulkActivities(deps: ActivityDeps) {
  async function sendBulkBatch({
    bulkId,
    step,
    source,
    offset,
    count,
  }: SendBulkBatchInput): Promise<BulkMessageState[]> {
    const messages = readBulkSource(source).slice(offset, offset + count);
    try {
      if (step.channel === 'smsbat') {
        if (!deps.smsbat) throw notConfigured('smsbat');
        const results = await deps.smsbat.sendBulk(
          messages.map((m) => ({
            id: m.id,
            fromName: step.fromName,
            toPhone: m.phone,
            messageType: step.messageType,
            text: step.messageType === 'flashcall' ? undefined : m.text,
            surveyOptions: step.surveyOptions,
          })),
          { route: step.route, batchSize: 1000 },
        );
        throwIfAllRetryable(results.map((r) => (r.ok ? undefined : r.error)));
        return results.map((r) =>
          r.ok
            ? { id: r.id, providerMessageId: r.messageId, state: 'pending' }
            : { id: r.id, state: 'failed', error: r.error.message },
        );
      }
      if (!deps.reach) throw notConfigured('reach');
      const reach = deps.reach;
      // A retried attempt adopts what the first one already sent (same bulk, same number, same text).
      const existing =
        Context.current().info.attempt > 1 ? await reach.list({ bulkIdentifier: bulkId }, { maxPages: 1000 }) : [];
      const errors: (ProviderError | undefined)[] = [];
      const states = await mapLimit(messages, 8, async (m, i): Promise<BulkMessageState> => {
        const adopted = existing.find((e) => e.dest === m.phone && e.body === m.text);
        if (adopted) return { id: m.id, providerMessageId: adopted.messageId, state: 'pending' };
        try {
          const item = await reach.create({
            dest: m.phone,
            src: step.src,
            body: m.text,
            bulkIdentifier: bulkId,
            maxPrice: step.maxPrice,
          });
          return { id: m.id, providerMessageId: item.messageId, state: 'pending' };
        } catch (err) {
          if (!(err instanceof ProviderError)) throw err;
          errors[i] = err;
          return { id: m.id, state: 'failed', error: err.message };
        }
      });
      if (errors.some((e) => e?.retryable)) throw errors.find((e) => e?.retryable);
      return states;
    } catch (err) {
      throw toActivityFailure(err);
    }
  }

  async function checkBulkStatuses({ provider, providerMessageIds }: CheckBulkStatusesInput) {
    const client = provider === 'smsbat' ? deps.smsbat : deps.reach;
    if (!client) throw notConfigured(provider);
    // About ten at a time (smsbat.md §2: check many messages in small batches).
    return mapLimit(providerMessageIds, 10, async (id): Promise<BulkMessageState['state']> => {
      try {
        const status = await client.getStatus(id);
        return status.state === 'delivered' || status.state === 'failed' ? status.state : 'pending';
      } catch {
        return 'pending'; // the next pass asks again
      }
    });
  }

  async function countBulkSource(source: BulkSource): Promise<number> {
    return readBulkSource(source).length;
  }

  return { sendBulkBatch, checkBulkStatuses, countBulkSource };
}

function throwIfAllRetryable(errors: (ProviderError | undefined)[]): void {
  if (errors.length > 0 && errors.every((e) => e?.retryable)) throw errors[0];
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

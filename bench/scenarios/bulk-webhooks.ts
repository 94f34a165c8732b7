import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client } from '@temporalio/client';
import { type Simulator } from '../../src/sim/server';
import { type BulkProgress } from '../../src/shared/types';

/**
 * `count` messages through `bulkSend` with receipts on: the simulator posts every message's
 * receipts to the webhook receiver, which hands them to their chunk in batches (the receipt index
 * knows each message's chunk and slot). Counts what the campaign cost: workflows started per
 * message, status GETs per 100 messages (the safety net), the share of final statuses that came by
 * webhook, and the time from the last receipt the receiver took to the campaign's completion.
 */
export async function measureBulkWebhooks(
  ctx: { client: Client; sim: Simulator; taskQueue: string; lastSmsbatReceiptAt: () => number },
  count: number,
) {
  const run = randomUUID().slice(0, 8);
  ctx.sim.script({ prefix: '+38067', provider: 'smsbat', outcome: { kind: 'deliver' } });
  const file = join(tmpdir(), `bench-bulk-hooks-${run}.jsonl`);
  writeFileSync(
    file,
    Array.from({ length: count }, (_, i) =>
      JSON.stringify({
        id: `hook-${run}-${i}`,
        phone: `+38067${String(i % 1_000_000).padStart(6, '0')}1`,
        text: `Campaign message ${i}`,
      }),
    ).join('\n'),
  );
  const gets = () => ctx.sim.requests('smsbat').filter((r) => r.method === 'GET').length;
  const workflows = async () => (await ctx.client.workflow.count(`TaskQueue = '${ctx.taskQueue}'`)).count;
  try {
    const workflowsBefore = await workflows();
    const getsBefore = gets();
    const t0 = Date.now();
    const progress = await ctx.client.workflow.execute<(input: unknown) => Promise<BulkProgress>>('bulkSend', {
      taskQueue: ctx.taskQueue,
      workflowId: `bench-bulk-hooks-${run}`,
      args: [
        {
          bulkId: `bench-bulk-hooks-${run}`,
          step: { channel: 'smsbat', fromName: 'Bench' },
          file: { path: file },
          ratePerSecond: 100_000,
          trackFor: '30m',
        },
      ],
    });
    const done = Date.now();
    // Visibility is eventually consistent: let the last starts show before counting.
    await new Promise((r) => setTimeout(r, 2000));
    const started = (await workflows()) - workflowsBefore;
    const statusGets = gets() - getsBefore;
    const final = progress.delivered + progress.failed;
    return {
      messages: count,
      messagesPerSec: (count / (done - t0)) * 1000,
      delivered: progress.delivered,
      /** The campaign and its chunks: none per message. */
      workflowsStarted: started,
      workflowsPerMessage: started / count,
      statusGetsPer100Messages: (statusGets / count) * 100,
      /** A GET settles at most one message, so at least this share of final statuses came by webhook. */
      finalStatusesByWebhookShare: final === 0 ? 0 : Math.max(0, final - statusGets) / final,
      lastReceiptToCompleteMs: done - ctx.lastSmsbatReceiptAt(),
    };
  } finally {
    rmSync(file, { force: true });
  }
}

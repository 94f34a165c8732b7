import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client } from '@temporalio/client';
import { SmsbatClient } from '../../src/providers/smsbat/client';
import { SIM_CREDENTIALS, type Simulator } from '../../src/sim/server';
import { type BulkProgress } from '../../src/shared/types';

/**
 * `count` messages through `bulkSend` (a JSON-lines campaign file, batches of 1000) against the
 * same batches sent straight to the simulator by one undici client, one request at a time.
 */
export async function measureBulk(ctx: { client: Client; sim: Simulator; taskQueue: string }, count: number) {
  const run = randomUUID().slice(0, 8);
  const messages = (tag: string) =>
    Array.from({ length: count }, (_, i) => ({
      id: `bulk-${tag}-${run}-${i}`,
      // Ends in 1: clear of the simulator's built-in …400/…99x numbers.
      phone: `+38066${String(i % 1_000_000).padStart(6, '0')}1`,
      text: `Campaign message ${i}`,
    }));

  // Delivered without receipts: this measures sending; 100 000 webhooks would measure the receiver.
  ctx.sim.script({ prefix: '+38066', provider: 'smsbat', outcome: { kind: 'deliver' }, receipt: 'withhold' });
  const direct = new SmsbatClient({ baseUrl: ctx.sim.url, credentials: { apiKey: SIM_CREDENTIALS.smsbat.apiKey } });
  const t0 = Date.now();
  const results = await direct.sendBulk(
    messages('direct').map((m) => ({
      id: m.id,
      fromName: 'Bench',
      toPhone: m.phone,
      messageType: 'transaction' as const,
      text: m.text,
    })),
    { batchSize: 1000, concurrency: 1 },
  );
  const directMs = Date.now() - t0;
  await direct.close();
  const directAccepted = results.filter((r) => r.ok).length;

  const file = join(tmpdir(), `bench-bulk-${run}.jsonl`);
  writeFileSync(
    file,
    messages('flow')
      .map((m) => JSON.stringify(m))
      .join('\n'),
  );
  try {
    const t1 = Date.now();
    const progress = await ctx.client.workflow.execute<(input: unknown) => Promise<BulkProgress>>('bulkSend', {
      taskQueue: ctx.taskQueue,
      workflowId: `bench-bulk-${run}`,
      args: [
        {
          bulkId: `bench-bulk-${run}`,
          step: { channel: 'smsbat', fromName: 'Bench' },
          file: { path: file },
          // No rate limit of our own in the way: this measures the orchestration against raw HTTP.
          ratePerSecond: 100_000,
          trackFor: '0s',
        },
      ],
    });
    const flowMs = Date.now() - t1;
    return {
      messages: count,
      directMessagesPerSec: (directAccepted / directMs) * 1000,
      bulkMessagesPerSec: (progress.sent / flowMs) * 1000,
      bulkVsDirect: directMs / flowMs,
      directAccepted,
      bulkSent: progress.sent,
    };
  } finally {
    rmSync(file, { force: true });
  }
}

import { randomUUID } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client } from '@temporalio/client';
import { CascadeClient } from '../../src/client';
import { type Simulator } from '../../src/sim/server';
import { SIM_CREDENTIALS } from '../../src/sim/server';
import { freePort } from '../../src/testing/dev-server';
import { simulatorEnv } from '../../src/testing/testbed';
import { openReceiptIndex } from '../../src/receipts/open';
import { WebhookReceiver } from '../../src/webhooks/receiver';
import { smsbatWebhookUrl } from '../../src/webhooks/urls';
import { startWorkerMain } from '../../test/support/worker-main';
import { runConcurrently } from '../stats';

export interface InFlightContext {
  client: Client;
  sim: Simulator;
  address: string;
  bundleCode: string;
  /** The dev server's SQLite file, when it has one. */
  dbFilename?: string;
  concurrency: number;
  log(line: string): void;
}

const TOKEN = 'bench-in-flight-token-0123456789';
/**
 * The worker as README "Worker memory" advises running it with many flows in flight: a bounded
 * workflow cache, and a heap limit so V8 collects instead of growing (without one, RSS at 1 000
 * flows was half again as large, mostly garbage). A cache of 100 and a 384 MB heap peaked at 568 MB
 * RSS with 10 000 in flight; 50 and 256 drain as fast (BENCHMARKS.md). BENCH_WORKER_CACHE and BENCH_WORKER_HEAP_MB try others.
 */
const WORKER_CACHE = wholeNumber('BENCH_WORKER_CACHE', 50);
const WORKER_HEAP_MB = wholeNumber('BENCH_WORKER_HEAP_MB', 256);

function wholeNumber(name: string, otherwise: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return otherwise;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got "${value}"`);
  return n;
}

/**
 * `flows` deliverMessage flows all waiting on their SMSBAT receipt at once, worker in its own
 * process (so its RSS is its own), then every receipt posted to the receiver: drain time.
 */
export async function measureInFlight(ctx: InFlightContext, flows: number) {
  const taskQueue = `bench-inflight-${randomUUID()}`;
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  // The worker process and the receiver here share one SQLite index file, as on one host.
  const indexUrl = `sqlite:${join(tmpdir(), `bench-inflight-${randomUUID()}`, 'receipts.sqlite')}`;
  const receipts = await openReceiptIndex(indexUrl);
  const receiver = await new WebhookReceiver({
    client: ctx.client,
    publicUrl,
    smsbatToken: TOKEN,
    receipts,
    reachApiKey: SIM_CREDENTIALS.reach.apiKey,
  }).start(port);
  const bundle = join(tmpdir(), `bench-bundle-${randomUUID()}.js`);
  writeFileSync(bundle, ctx.bundleCode);
  const worker = await startWorkerMain({
    ...simulatorEnv(ctx.sim),
    TEMPORAL_ADDRESS: ctx.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    CASCADE_WORKFLOW_BUNDLE: bundle,
    CASCADE_PUBLIC_WEBHOOK_URL: publicUrl,
    CASCADE_SMSBAT_WEBHOOK_TOKEN: TOKEN,
    CASCADE_RECEIPT_INDEX: indexUrl,
    CASCADE_MAX_CACHED_WORKFLOWS: String(WORKER_CACHE),
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${WORKER_HEAP_MB}`.trim(),
  });
  let peakRss = 0;
  const rss = () => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${worker.child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  };
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rss())), 1000);
  const dbSize = () => (ctx.dbFilename ? fileSize(ctx.dbFilename) + fileSize(`${ctx.dbFilename}-wal`) : NaN);
  try {
    const cascade = new CascadeClient({ client: ctx.client, taskQueue, limits: false });
    const prefix = '+38065';
    ctx.sim.script({ prefix, provider: 'smsbat', outcome: { kind: 'pending' }, receipt: 'withhold' });
    const rssBefore = rss();
    const dbBefore = dbSize();
    const ids: string[] = [];
    ctx.log(`in flight: starting ${flows} flows that wait on their receipt…`);
    const fillStart = Date.now();
    await runConcurrently(flows, ctx.concurrency, async (i) => {
      const { id } = await cascade.sendMessage({
        trackingId: `bench-inflight-${randomUUID()}`,
        recipient: { phone: `${prefix}${String(1_000_000 + i).slice(-7)}` },
        text: 'In flight',
        // Receipts by webhook only, as a user who trusts the provider's webhook would set it.
        steps: [{ channel: 'smsbat', fromName: 'Bench', deliveryTimeout: '2h', pollAfter: '1h' }],
      });
      ids.push(id);
      if (ids.length % 1000 === 0) ctx.log(`  ${ids.length} started, worker RSS ${rss().toFixed(0)} MB`);
    });
    let messageIds: string[] = [];
    for (const deadline = Date.now() + 30 * 60_000; ; await new Promise((r) => setTimeout(r, 1000))) {
      messageIds = ctx.sim
        .messages('smsbat')
        .filter((m) => m.recipient.startsWith(prefix))
        .map((m) => m.messageId);
      if (messageIds.length >= flows) break;
      if (Date.now() > deadline) throw new Error(`in flight: only ${messageIds.length}/${flows} messages sent`);
    }
    const sentWall = Date.now();
    // Let the routers' claims and the flows' workflow tasks settle before reading memory.
    await new Promise((r) => setTimeout(r, 10_000));
    const rssWaiting = rss();
    const dbWaiting = dbSize();

    ctx.log(`in flight: posting ${flows} receipts…`);
    const url = smsbatWebhookUrl(publicUrl, TOKEN);
    const drainStart = Date.now();
    await runConcurrently(messageIds.length, ctx.concurrency, async (i) => {
      const body = JSON.stringify({
        messageId: messageIds[i],
        deliverystatus: 'delivered',
        timestamp: new Date().toISOString(),
      });
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`receipt ${messageIds[i]}: HTTP ${res.status}`);
    });
    let delivered = 0;
    let ended = 0;
    await runConcurrently(ids.length, ctx.concurrency, async (i) => {
      const result = (await cascade.result(ids[i])) as { status: string };
      if (result.status === 'delivered') delivered++;
      if (++ended % 1000 === 0) ctx.log(`  ${ended} ended, ${delivered} delivered`);
    });
    const drainWall = Date.now() - drainStart;
    return {
      flows,
      workerMaxCachedWorkflows: WORKER_CACHE,
      workerHeapLimitMB: WORKER_HEAP_MB,
      /** Started and sent: every flow's message accepted by the provider. */
      fillFlowsPerSec: (flows / (sentWall - fillStart)) * 1000,
      workerRssBeforeMB: rssBefore,
      workerRssWaitingMB: rssWaiting,
      workerRssPeakMB: Math.max(peakRss, rssWaiting),
      serverDbGrowthMB: (dbWaiting - dbBefore) / 1024 / 1024,
      drainFlowsPerSec: (flows / drainWall) * 1000,
      delivered,
    };
  } finally {
    clearInterval(sampler);
    worker.child.kill('SIGTERM');
    await Promise.race([worker.exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    worker.child.kill('SIGKILL');
    await receiver.close();
    await receipts.close();
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client } from '@temporalio/client';
import { CascadeClient } from '../../src/client';
import { type Simulator } from '../../src/sim/server';
import { freePort } from '../../src/testing/dev-server';
import { simulatorEnv } from '../../src/testing/testbed';
import { startWorkerMain } from '../../test/support/worker-main';
import { ratio, runConcurrently } from '../stats';

export interface MetricsOverheadContext {
  client: Client;
  sim: Simulator;
  address: string;
  bundleCode: string;
  /** The receiver the simulator's SMSBAT webhooks reach, and the index it reads. */
  publicUrl: string;
  token: string;
  indexUrl: string;
  concurrency: number;
  phone(i: number): string;
  log(line: string): void;
}

/**
 * The happy path on two worker processes alike but for one thing: one exports its metrics (the
 * Runtime's Prometheus exporter, scraped every second as Prometheus would), the other has no
 * exporter. Rounds alternate, so both see the same machine.
 */
export async function measureMetricsOverhead(ctx: MetricsOverheadContext, flows: number) {
  const bundle = join(tmpdir(), `bench-bundle-${randomUUID()}.js`);
  writeFileSync(bundle, ctx.bundleCode);
  const start = async (metricsAddress?: string) => {
    const taskQueue = `bench-metrics-${randomUUID()}`;
    const worker = await startWorkerMain({
      ...simulatorEnv(ctx.sim),
      TEMPORAL_ADDRESS: ctx.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      CASCADE_WORKFLOW_BUNDLE: bundle,
      CASCADE_PUBLIC_WEBHOOK_URL: ctx.publicUrl,
      CASCADE_SMSBAT_WEBHOOK_TOKEN: ctx.token,
      CASCADE_RECEIPT_INDEX: ctx.indexUrl,
      ...(metricsAddress ? { CASCADE_METRICS_ADDRESS: metricsAddress } : {}),
    });
    return { worker, cascade: new CascadeClient({ client: ctx.client, taskQueue, limits: false }) };
  };
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  const plain = await start();
  const exported = await start(metricsAddress);
  let scrapes = 0;
  const scraper = setInterval(() => {
    void fetch(`http://${metricsAddress}/metrics`)
      .then((r) => r.text())
      .then(
        () => scrapes++,
        () => undefined,
      );
  }, 1000);
  let next = 0;
  const round = (cascade: CascadeClient, count: number) =>
    runConcurrently(count, ctx.concurrency, async () => {
      const { id } = await cascade.sendMessage({
        trackingId: `bench-metrics-${randomUUID()}`,
        recipient: { phone: ctx.phone(next++) },
        text: 'Your order has shipped',
        steps: [
          { channel: 'smsbat', fromName: 'Bench', deliveryTimeout: '1m' },
          { channel: 'reach', src: 'Bench', deliveryTimeout: '1m' },
        ],
      });
      const result = (await cascade.result(id)) as { status: string };
      if (result.status !== 'delivered') throw new Error(`metrics overhead: flow ${id} ended ${result.status}`);
    });
  try {
    const half = Math.max(1, Math.ceil(flows / 2));
    let plainMs = 0;
    let exportedMs = 0;
    for (let r = 0; r < 2; r++) {
      ctx.log(`metrics overhead: round ${r + 1} of 2, ${half} flows on each worker…`);
      plainMs += await round(plain.cascade, half);
      exportedMs += await round(exported.cascade, half);
    }
    const withoutFlowsPerSec = ((2 * half) / plainMs) * 1000;
    const withFlowsPerSec = ((2 * half) / exportedMs) * 1000;
    return {
      flows: 2 * half,
      withoutFlowsPerSec,
      withFlowsPerSec,
      exportedVsNot: ratio(withFlowsPerSec, withoutFlowsPerSec),
      scrapes,
    };
  } finally {
    clearInterval(scraper);
    for (const { worker } of [plain, exported]) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  }
}

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type Client } from '@temporalio/client';
import { type CascadeClient } from '../../src/client';
import { smsbatWebhookUrl } from '../../src/webhooks/urls';
import { percentile, ratio, runConcurrently } from '../stats';

/**
 * What someone who knows the SMSBAT webhook token costs by posting receipts for invented message
 * ids (issue 14.3): the running workflows before and after, and the delivery latency of legitimate
 * flows (start → delivered by webhook) while the flood runs, against the same flows idle.
 */
export async function measureUnknownFlood(
  ctx: {
    client: Client;
    cascade: CascadeClient;
    taskQueue: string;
    publicUrl: string;
    token: string;
    phone: (i: number) => string;
  },
  receipts: number,
  concurrency: number,
) {
  const legit = 40;
  const deliverOne = async (i: number) => {
    const t0 = Date.now();
    const { id } = await ctx.cascade.sendMessage({
      trackingId: `bench-flood-${randomUUID()}`,
      recipient: { phone: ctx.phone(i) },
      text: 'Your order has shipped',
      steps: [{ channel: 'smsbat', fromName: 'Bench', deliveryTimeout: '1m' }],
    });
    const result = (await ctx.cascade.result(id)) as { status: string };
    if (result.status !== 'delivered') throw new Error(`flood: legitimate flow ${id} ended ${result.status}`);
    return Date.now() - t0;
  };
  const running = async () =>
    (await ctx.client.workflow.count(`TaskQueue = '${ctx.taskQueue}' AND ExecutionStatus = 'Running'`)).count;

  const idle: number[] = [];
  await runConcurrently(legit, 4, async (i) => void idle.push(await deliverOne(i)));
  const runningBefore = await running();

  const url = smsbatWebhookUrl(ctx.publicUrl, ctx.token);
  // The flood comes from a process of its own, as an attacker's would: posting from this process
  // would put its 50 concurrent requests on the event loop of the bench's in-process worker.
  let flooding = true;
  const flood = floodFromChild(url, receipts, concurrency).finally(() => (flooding = false));
  const during: number[] = [];
  // Legitimate flows for as long as the flood lasts (at least the same number as idle).
  for (let i = legit; flooding || during.length < legit; i += 4) {
    await runConcurrently(4, 4, async (j) => void during.push(await deliverOne(i + j)));
  }
  const { ms: floodMs, statuses } = await flood;
  await new Promise((r) => setTimeout(r, 1500));
  const runningAfter = await running();
  return {
    unknownReceipts: receipts,
    receiptsPerSec: (receipts / floodMs) * 1000,
    answered200Parked: statuses[200] ?? 0,
    answered503ParkFull: statuses[503] ?? 0,
    runningWorkflowsBefore: runningBefore,
    runningWorkflowsAfter: runningAfter,
    legitimateP50IdleMs: percentile(idle, 50),
    legitimateP50DuringMs: percentile(during, 50),
    legitimateP50DuringVsIdle: ratio(percentile(during, 50), percentile(idle, 50)),
    legitimateFlowsDuring: during.length,
  };
}

/** Posts `count` receipts for invented ids from a child process; resolves with its counts. */
function floodFromChild(
  url: string,
  count: number,
  concurrency: number,
): Promise<{ ms: number; statuses: Record<number, number> }> {
  const script = `
    const { randomUUID } = require('node:crypto');
    const [url, count, concurrency] = [process.env.FLOOD_URL, Number(process.argv[1]), Number(process.argv[2])];
    const statuses = {};
    let next = 0;
    const started = Date.now();
    const one = async () => {
      while (next++ < count) {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ messageId: randomUUID(), deliverystatus: 'delivered', timestamp: new Date().toISOString(), cost: 0.05 }),
        });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    };
    Promise.all(Array.from({ length: concurrency }, one)).then(() => console.log(JSON.stringify({ ms: Date.now() - started, statuses })));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, String(count), String(concurrency)], {
      // The URL holds the webhook token: through the environment, not the process arguments.
      env: { ...process.env, FLOOD_URL: url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`flood process exited ${code}`)),
    );
  });
}

/**
 * `npm run chaos`: flows keep their promises while the worker is SIGKILLed every few seconds and
 * the providers fail 30% of requests (5xx, 429, hangs, resets), with receipts pushed to the webhook
 * receiver (SMSBAT webhooks and Reach callbacks through the receipt index the workers write; status
 * polls as the safety net). Prints counts; writes bench/results/chaos.json. Size: CHAOS_FLOWS
 * (default 500).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { CascadeClient } from '../src/client';
import { SIM_CREDENTIALS, startSimulator } from '../src/sim/server';
import { openReceiptIndex } from '../src/receipts/open';
import { freePort, startDevServer } from '../src/testing/dev-server';
import { simulatorEnv } from '../src/testing/testbed';
import { WebhookReceiver } from '../src/webhooks/receiver';
import { smsbatWebhookUrl } from '../src/webhooks/urls';
import { startWorkerMain } from '../test/support/worker-main';
import { runConcurrently } from './stats';

/** How long after a provider request a kill counts as landing inside it (answer + report). */
const KILL_WINDOW_MS = 2000;

async function main(): Promise<void> {
  const flows = Number(process.env.CHAOS_FLOWS ?? 500);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const server = await startDevServer();
  const sim = await startSimulator({ deliveryDelayMs: 200, smtpPort: false });
  const bundle = join(tmpdir(), `chaos-bundle-${randomUUID()}.js`);
  writeFileSync(
    bundle,
    (
      await bundleWorkflowCode({
        workflowsPath: require.resolve('../src/workflows'),
        logger: new DefaultLogger('WARN'),
      })
    ).code,
  );
  const taskQueue = `chaos-${randomUUID()}`;
  // The receiver lives in this process (it is not what is being killed); the killed workers and
  // it share the receipt index file, as a worker and a receiver on one host do.
  const token = `chaos-${randomUUID()}`;
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const indexUrl = `sqlite:${join(tmpdir(), `chaos-${randomUUID()}`, 'receipts.sqlite')}`;
  const env = {
    ...simulatorEnv(sim),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    CASCADE_WORKFLOW_BUNDLE: bundle,
    PROVIDER_TIMEOUT_MS: '2000',
    CASCADE_PUBLIC_WEBHOOK_URL: publicUrl,
    CASCADE_SMSBAT_WEBHOOK_TOKEN: token,
    CASCADE_RECEIPT_INDEX: indexUrl,
  };
  const connection = await Connection.connect({ address: server.address });
  const receipts = await openReceiptIndex(indexUrl);
  const receiver = await new WebhookReceiver({
    client: new Client({ connection }),
    publicUrl,
    smsbatToken: token,
    receipts,
    reachApiKey: SIM_CREDENTIALS.reach.apiKey,
    metricsToken: token,
  }).start(port);
  sim.setSmsbatWebhookUrl(smsbatWebhookUrl(publicUrl, token));
  const cascade = new CascadeClient({ client: new Client({ connection }), taskQueue, limits: false });

  // 30% of provider requests fail; every 20th recipient is refused with 400 (never to be retried).
  sim.setFaults('all', { errorRate: 0.1, rateLimitRate: 0.1, hangRate: 0.05, resetRate: 0.05, retryAfterSec: 1 });
  const phone = (i: number) => `+38093${String(1_000_000 + i * 10 + 1).slice(-7)}`;
  for (let i = 0; i < flows; i += 20) {
    sim.script({
      recipient: phone(i),
      provider: 'smsbat',
      outcome: { kind: 'reject', status: 400, code: 'INVALID_PHONE', field: 'toPhone' },
    });
  }

  let worker = await startWorkerMain(env);
  let kills = 0;
  const killedAt: number[] = [];
  let stop = false;
  const killer = (async () => {
    while (!stop) {
      await new Promise((r) => setTimeout(r, 3000 + Math.random() * 3000));
      if (stop) break;
      killedAt.push(Date.now());
      worker.child.kill('SIGKILL');
      await worker.exited;
      kills++;
      worker = await startWorkerMain(env);
    }
  })();

  log(`chaos: ${flows} flows, worker killed every 3–6 s, 30% provider faults…`);
  const outcomes = new Map<number, string>();
  const started = Date.now();
  await runConcurrently(flows, 100, async (i) => {
    const { id } = await cascade.sendMessage({
      trackingId: `chaos-${i}-${randomUUID()}`,
      recipient: { phone: phone(i) },
      text: `Chaos message ${i}`,
      steps: [
        { channel: 'smsbat', fromName: 'Chaos', deliveryTimeout: '1m' },
        { channel: 'reach', src: 'Chaos', deliveryTimeout: '1m' },
      ],
    });
    const result = (await Promise.race([
      cascade.result(id),
      new Promise((r) => setTimeout(() => r({ status: 'lost' }), 15 * 60_000)),
    ])) as {
      status: string;
      attempts?: { channel: string; status: string; error?: { type: string; message: string } }[];
    };
    outcomes.set(i, result.status);
    if (result.status !== 'delivered') {
      const why = (result.attempts ?? []).map(
        (a) => `${a.channel}:${a.status}${a.error ? ` (${a.error.type}: ${a.error.message})` : ''}`,
      );
      log(`  flow ${i} ended ${result.status}: ${why.join(' → ')}`);
    }
    if (outcomes.size % 50 === 0) log(`  ${outcomes.size}/${flows} done, ${kills} kills`);
  });
  stop = true;
  await killer;
  worker.child.kill('SIGTERM');
  await worker.exited;

  // A repeated request is the kill's doing when the worker died while the first one was being
  // answered and reported: the attempt was lost and retried after its start-to-close timeout.
  const killedDuring = (at: number) => killedAt.some((k) => k >= at && k <= at + KILL_WINDOW_MS);
  let duplicates = 0;
  let duplicatesWithoutKill = 0;
  let retried400 = 0;
  let retried400WithoutKill = 0;
  for (let i = 0; i < flows; i++) {
    for (const provider of ['smsbat', 'reach'] as const) {
      const sent = sim.messages(provider).filter((m) => m.recipient === phone(i));
      for (let n = 1; n < sent.length; n++) {
        duplicates++;
        if (killedDuring(sent[n - 1].acceptedAt)) continue;
        duplicatesWithoutKill++;
        const first = sent[n - 1].acceptedAt;
        const nextKill = killedAt.find((k) => k >= first);
        log(
          `  sent twice without a kill within ${KILL_WINDOW_MS} ms: flow ${i}, ${provider}, again after ${sent[n].acceptedAt - first} ms, next kill ${nextKill === undefined ? 'none' : `${nextKill - first} ms after the first`}`,
        );
      }
    }
    if (i % 20 === 0) {
      // Requests after the first one SMSBAT answered 400 (earlier injected 5xx/429 retries are fine).
      const posts = sim.requests('smsbat').filter((r) => r.method === 'POST' && r.rawBody.includes(phone(i)));
      const first400 = posts.findIndex((r) => r.answeredWith === 400);
      if (first400 < 0) continue;
      for (let n = first400 + 1; n < posts.length; n++) {
        retried400++;
        if (!killedDuring(posts[n - 1].receivedAt)) retried400WithoutKill++;
      }
    }
  }
  const metrics = (await (
    await fetch(`${publicUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  ).json()) as { receipts: Record<string, number> };
  const statusGets = sim.requests().filter((r) => r.method === 'GET').length;
  const statuses = [...outcomes.values()];
  const report = {
    at: new Date().toISOString(),
    flows,
    kills,
    seconds: Math.round((Date.now() - started) / 1000),
    lost: statuses.filter((s) => s === 'lost').length,
    delivered: statuses.filter((s) => s === 'delivered').length,
    wrongTerminalState: statuses.filter((s) => s !== 'delivered' && s !== 'lost').length,
    duplicateSends: duplicates,
    duplicateSendsWithoutAKillInside: duplicatesWithoutKill,
    provider400sRetried: retried400,
    provider400sRetriedWithoutAKillInside: retried400WithoutKill,
    receiptsForwardedByReceiver: Object.entries(metrics.receipts)
      .filter(([k]) => k.endsWith('.forwarded'))
      .reduce((n, [, v]) => n + v, 0),
    receiverCounts: metrics.receipts,
    statusGets,
  };
  console.log(JSON.stringify(report, null, 2));
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'chaos.json'), JSON.stringify(report, null, 2));
  await receiver.close();
  await receipts.close();
  await connection.close();
  await sim.close();
  await server.stop();
}

// Exits explicitly: the simulator's injected hangs leave sockets that would hold the process open.
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

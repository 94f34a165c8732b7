/**
 * `npm run chaos:campaigns`: campaigns keep their promises when the provider loses answers and the
 * worker dies. Three scenarios, counted from the simulator's log (what the provider received):
 *
 * 1. lost answers: a campaign per provider while 10 % of sends are accepted and then never
 *    answered (the client's deadline fires) and 5 % accepted and answered 502, the worker
 *    SIGKILLed every 20–40 s (each kill costs the chunks in flight a heartbeat timeout, 20 s; a
 *    kill every few seconds measures only those timeouts). Reach can be asked (by bulkIdentifier): 0 messages sent twice. SMSBAT
 *    cannot: its lost batches end `unknown` (counted), never sent twice. Every message ends final
 *    or `unknown`; 0 lost.
 * 2. outage: SMSBAT answers every request 503 for CAMPAIGN_OUTAGE_MS in the middle of a campaign:
 *    it pauses (`provider unavailable`), resumes on its own (`autoResume`), completes, sent once each.
 * 3. isolation: one 1000-message batch with 10 scattered refused recipients: the 990 valid sent once.
 *
 * Sizes: CAMPAIGN_CHAOS_MESSAGES (default 10000 per provider: 20 000 in all), CAMPAIGN_OUTAGE_MESSAGES
 * (2000), CAMPAIGN_OUTAGE_MS (300000), CAMPAIGN_KILL_EVERY_MS (20000: kills every 1–2× that). Writes bench/results/campaign-chaos.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { CascadeClient } from '../src/client';
import { progressQuery } from '../src/shared/messages';
import { type BulkProgress } from '../src/shared/types';
import { openReceiptIndex } from '../src/receipts/open';
import { SIM_CREDENTIALS, startSimulator } from '../src/sim/server';
import { freePort, startDevServer } from '../src/testing/dev-server';
import { simulatorEnv } from '../src/testing/testbed';
import { WebhookReceiver } from '../src/webhooks/receiver';
import { smsbatWebhookUrl } from '../src/webhooks/urls';
import { startWorkerMain } from '../test/support/worker-main';

async function main(): Promise<void> {
  const size = Number(process.env.CAMPAIGN_CHAOS_MESSAGES ?? 10_000);
  const killEveryMs = Number(process.env.CAMPAIGN_KILL_EVERY_MS ?? 20_000);
  const outageSize = Number(process.env.CAMPAIGN_OUTAGE_MESSAGES ?? 2000);
  const outageMs = Number(process.env.CAMPAIGN_OUTAGE_MS ?? 300_000);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const server = await startDevServer();
  const sim = await startSimulator({ deliveryDelayMs: 200, smtpPort: false });
  const dir = mkdtempSync(join(tmpdir(), 'campaign-chaos-'));
  const bundle = join(dir, 'bundle.js');
  writeFileSync(
    bundle,
    (
      await bundleWorkflowCode({
        workflowsPath: require.resolve('../src/workflows'),
        logger: new DefaultLogger('WARN'),
      })
    ).code,
  );
  const taskQueue = `campaign-chaos-${randomUUID()}`;
  // Receipts are pushed to a receiver in this process (not the one being killed), as in `npm run chaos`.
  const token = `chaos-${randomUUID()}`;
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const indexUrl = `sqlite:${join(dir, 'receipts.sqlite')}`;
  const env = {
    CASCADE_PUBLIC_WEBHOOK_URL: publicUrl,
    CASCADE_SMSBAT_WEBHOOK_TOKEN: token,
    CASCADE_RECEIPT_INDEX: indexUrl,
    ...simulatorEnv(sim),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    CASCADE_WORKFLOW_BUNDLE: bundle,
    CASCADE_BULK_DIRS: dir,
    PROVIDER_TIMEOUT_MS: '2000',
  };
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const receipts = await openReceiptIndex(indexUrl);
  const receiver = await new WebhookReceiver({
    client,
    publicUrl,
    smsbatToken: token,
    receipts,
    reachApiKey: SIM_CREDENTIALS.reach.apiKey,
  }).start(port);
  sim.setSmsbatWebhookUrl(smsbatWebhookUrl(publicUrl, token));
  const cascade = new CascadeClient({ client, taskQueue, limits: false });
  const file = (name: string, rows: { id: string; phone: string; text: string }[]) => {
    const path = join(dir, `${name}.csv`);
    writeFileSync(path, `id,phone,text\n${rows.map((r) => `${r.id},${r.phone},${r.text}`).join('\n')}\n`);
    return path;
  };
  const rows = (prefix: string, n: number, phone: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, phone: phone(i), text: `Campaign ${prefix} ${i}` }));
  const run = async (input: Parameters<CascadeClient['startBulk']>[0], onProgress?: (p: BulkProgress) => void) => {
    const { id } = await cascade.startBulk(input);
    const handle = client.workflow.getHandle(id);
    const result = handle.result() as Promise<BulkProgress>;
    let done = false;
    void result.finally(() => (done = true)).catch(() => undefined);
    const started = Date.now();
    let logged = started;
    while (!done) {
      await new Promise((r) => setTimeout(r, 1000));
      const p = await handle.query(progressQuery).catch(() => undefined);
      if (p && onProgress) onProgress(p);
      if (p && Date.now() - logged >= 30_000) {
        logged = Date.now();
        log(`  ${input.bulkId} ${((logged - started) / 1000).toFixed(0)} s: ${JSON.stringify(p)}`);
      }
    }
    return { ...(await result), seconds: Math.round((Date.now() - started) / 1000) };
  };

  let worker = await startWorkerMain(env);
  let kills = 0;
  const killedAt: number[] = [];
  let killing = true;
  const killer = (async () => {
    while (killing) {
      await new Promise((r) => setTimeout(r, killEveryMs * (1 + Math.random())));
      if (!killing) break;
      worker.child.kill('SIGKILL');
      killedAt.push(Date.now());
      await worker.exited;
      kills++;
      worker = await startWorkerMain(env);
    }
  })();

  // 1. Lost answers, worker kills.
  log(`lost answers: ${size} messages per provider, 10 % timeouts and 5 % 502s after accepting, worker kills…`);
  sim.setFaults('all', { acceptThenHangRate: 0.1, acceptThen502Rate: 0.05 });
  const reachRows = rows('cr', size, (i) => `+2376${String(70_000_001 + i * 10).slice(-8)}`);
  const smsbatRows = rows('cs', size, (i) => `+38093${String(1_000_001 + i * 10).slice(-7)}`);
  const reachId = `chaos-reach-${randomUUID()}`;
  const [reachFinal, smsbatFinal] = await Promise.all([
    run({
      bulkId: reachId,
      step: { channel: 'reach', src: 'Chaos' },
      file: { path: file('reach', reachRows) },
      batchSize: 200,
      ratePerSecond: 2000,
      trackFor: '2m',
    }),
    run({
      bulkId: `chaos-smsbat-${randomUUID()}`,
      step: { channel: 'smsbat', fromName: 'Chaos' },
      file: { path: file('smsbat', smsbatRows) },
      batchSize: 200,
      ratePerSecond: 2000,
      trackFor: '2m',
    }),
  ]);
  killing = false;
  await killer;
  sim.setFaults('all', {});
  const reachSent = new Map<string, number>();
  for (const m of sim.messages('reach'))
    if (m.trackingKey === reachId) reachSent.set(m.recipient, (reachSent.get(m.recipient) ?? 0) + 1);
  const smsbatSent = new Map<string, number>();
  for (const m of sim.messages('smsbat'))
    if (m.trackingKey?.startsWith('cs-')) smsbatSent.set(m.trackingKey, (smsbatSent.get(m.trackingKey) ?? 0) + 1);
  const twice = (sent: Map<string, number>) => [...sent.values()].filter((n) => n > 1).length;
  // What the provider saw of a message sent twice (requests with their times and answers), with the kills.
  for (const [to] of [...reachSent].filter(([, n]) => n > 1).slice(0, 5)) {
    const seen = sim
      .requests('reach')
      .filter((r) => r.rawBody.includes(encodeURIComponent(to)) || r.query.get('dest') === to)
      .map((r) => `${new Date(r.receivedAt).toISOString()} ${r.method} ${r.answeredWith ?? 'no answer'}`);
    log(`  sent twice: ${to}: ${seen.join('; ')}`);
  }
  log(`  kills at: ${killedAt.map((t) => new Date(t).toISOString()).join(' ')}`);
  if (process.env.CAMPAIGN_CHAOS_DEBUG && twice(reachSent) > 0) {
    // Every run of the Reach campaign's workflows, with its activities: what sent a message twice.
    const lines: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId STARTS_WITH "bulk:${reachId}"` })) {
      lines.push(`== ${w.workflowId} ${w.runId} ${w.type} ${w.status.name}`);
      const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      for (const e of history.events ?? []) {
        const type = String(e.eventType);
        if ([5, 6, 7, 26].includes(Number(e.eventType))) continue; // task bookkeeping, receipts by signal
        const data = e.userMetadata?.summary?.data;
        const summary = data ? Buffer.from(data).toString() : '';
        const failure =
          e.activityTaskFailedEventAttributes?.failure?.message ??
          e.activityTaskTimedOutEventAttributes?.failure?.message ??
          e.workflowTaskFailedEventAttributes?.failure?.message ??
          '';
        const attempt = e.activityTaskStartedEventAttributes?.attempt ?? '';
        const at = e.eventTime;
        const t = at?.seconds
          ? new Date(Number(at.seconds) * 1000 + Math.round((at.nanos ?? 0) / 1e6)).toISOString()
          : '';
        lines.push(`${e.eventId} ${t} ${type} ${summary} ${attempt} ${failure}`);
      }
    }
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'campaign-chaos-reach-history.txt'), lines.join('\n'));
    log(`  Reach campaign histories: bench/results/campaign-chaos-reach-history.txt`);
  }
  const settled = (p: BulkProgress) => p.delivered + p.failed + (p.unknown ?? 0);
  /** Messages the provider never received that the campaign accounts for neither as failed nor as unknown. */
  const lost = (notReceived: number, p: BulkProgress) => Math.max(0, notReceived - p.failed - (p.unknown ?? 0));
  const lostAnswers = {
    kills,
    reach: {
      ...reachFinal,
      sentTwice: twice(reachSent),
      receivedByProvider: reachSent.size,
      notFinalNorUnknown: reachFinal.total - settled(reachFinal),
      lost: lost(reachRows.filter((r) => !reachSent.has(r.phone)).length, reachFinal),
    },
    smsbat: {
      ...smsbatFinal,
      sentTwice: twice(smsbatSent),
      receivedByProvider: smsbatSent.size,
      notFinalNorUnknown: smsbatFinal.total - settled(smsbatFinal),
      lost: lost(smsbatRows.filter((r) => !smsbatSent.has(r.id)).length, smsbatFinal),
    },
  };
  log(JSON.stringify(lostAnswers));

  // 2. An outage in the middle of a campaign.
  log(`outage: ${outageSize} messages, SMSBAT down for ${outageMs / 1000} s in the middle…`);
  const outageRows = rows('co', outageSize, (i) => `+38094${String(1_000_001 + i * 10).slice(-7)}`);
  let pausedSeen = false;
  let outageStarted = false;
  const outageFinal = await run(
    {
      bulkId: `chaos-outage-${randomUUID()}`,
      step: { channel: 'smsbat', fromName: 'Chaos' },
      file: { path: file('outage', outageRows) },
      batchSize: 100,
      ratePerSecond: Math.max(10, Math.ceil(outageSize / 20)),
      trackFor: '2m',
      autoResume: '1m',
    },
    (p) => {
      if (p.pausedReason) pausedSeen = true;
      if (!outageStarted && p.sent >= outageSize / 2) {
        outageStarted = true;
        sim.setFaults('smsbat', { errorRate: 1 });
        setTimeout(() => sim.setFaults('smsbat', {}), outageMs);
      }
    },
  );
  const outageSent = new Map<string, number>();
  for (const m of sim.messages('smsbat'))
    if (m.trackingKey?.startsWith('co-')) outageSent.set(m.trackingKey, (outageSent.get(m.trackingKey) ?? 0) + 1);
  const outage = { ...outageFinal, pausedSeen, sentTwice: twice(outageSent), receivedByProvider: outageSent.size };
  log(JSON.stringify(outage));

  // 3. Ten refused recipients scattered over one 1000-message batch.
  const isoRows = rows('ci', 1000, (i) => `+38095${String(1_000_001 + i * 10).slice(-7)}`);
  const refused = [13, 120, 244, 371, 402, 555, 689, 740, 866, 993];
  for (const i of refused) {
    sim.script({
      provider: 'smsbat',
      recipient: isoRows[i].phone,
      outcome: { kind: 'reject', status: 400, code: 'INVALID_PHONE', field: 'toPhone' },
    });
  }
  const isoFinal = await run({
    bulkId: `chaos-isolation-${randomUUID()}`,
    step: { channel: 'smsbat', fromName: 'Chaos' },
    file: { path: file('isolation', isoRows) },
    batchSize: 1000,
    ratePerSecond: 10_000,
    trackFor: '1s',
  });
  const isoSent = new Map<string, number>();
  for (const m of sim.messages('smsbat'))
    if (m.trackingKey?.startsWith('ci-')) isoSent.set(m.trackingKey, (isoSent.get(m.trackingKey) ?? 0) + 1);
  const isolation = {
    ...isoFinal,
    validSentOnce: [...isoSent.values()].filter((n) => n === 1).length,
    sentTwice: twice(isoSent),
  };

  worker.child.kill('SIGTERM');
  await worker.exited;
  const report = { at: new Date().toISOString(), size, lostAnswers, outage, isolation };
  console.log(JSON.stringify(report, null, 2));
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'campaign-chaos.json'), JSON.stringify(report, null, 2));
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

import { randomUUID } from 'node:crypto';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { CascadeClient, CascadeLimitError } from '../src/client';
import { loadConfig } from '../src/config';
import { openLimitBackend, openLimitStore } from '../src/limits/open';
import { ProviderHealth } from '../src/health/health';
import { openHealthStore } from '../src/health/open';
import { openReceiptIndex } from '../src/receipts/open';
import { DEFAULT_LIMITS } from '../src/shared/limits';
import { SmsbatClient } from '../src/providers/smsbat/client';
import { SIM_CREDENTIALS, startSimulator } from '../src/sim/server';
import { type SimMessage } from '../src/sim/types';
import { freePort, startDevServer, type RunningDevServer } from '../src/testing/dev-server';
import { simulatorEnv, TEST_OTP_SECRET } from '../src/testing/testbed';
import { WebhookReceiver } from '../src/webhooks/receiver';
import { smsbatWebhookUrl } from '../src/webhooks/urls';
import { createCascadeWorker } from '../src/worker/create-worker';
import { startPostgres } from '../test/support/postgres';
import { measureBulk } from './scenarios/bulk';
import { measureBulkWebhooks } from './scenarios/bulk-webhooks';
import { measureReceiptIndex } from './scenarios/receipt-index';
import { measureUnknownFlood } from './scenarios/unknown-flood';
import { measureInFlight } from './scenarios/in-flight';
import { measureMetricsOverhead } from './scenarios/metrics-overhead';
import { measureLimitRules, measureLimitStore } from './scenarios/limits';
import { percentile, ratio, runConcurrently } from './stats';

export interface BenchOptions {
  /** Flows per scenario. */
  flows: number;
  /** Flows in flight at once. */
  concurrency: number;
  /** Receipts in the webhook burst (valid, duplicate, forged, malformed mixed). */
  webhookBurst?: number;
  /** Flows waiting on receipts at once, worker in its own process (`--full`: 10 000). */
  inFlight?: number;
  /** Messages through `bulkSend` against direct batches (`--full`: 100 000). */
  bulk?: number;
  /** Messages through `bulkSend` with every receipt posted to the receiver (`--full`: 100 000). */
  bulkWebhooks?: number;
  /** Claims and routes timed against each receipt-index backend (PostgreSQL when its binaries exist). */
  indexOps?: number;
  /** Happy-path flows on a worker exporting its metrics and on one without (each; worker processes). */
  metricsOverhead?: number;
  /** Token-valid receipts for invented message ids, posted while legitimate flows run (last). */
  flood?: number;
  /** An existing Temporal server; a fresh dev server when absent (on a SQLite file when `inFlight`). */
  address?: string;
  log?: (line: string) => void;
}

export type Figures = Record<string, number>;
export interface BenchReport {
  at: string;
  machine: { cpus: number; node: string };
  options: { flows: number; concurrency: number };
  sections: Record<string, Figures>;
  targets: { name: string; value: number; target: string; met: boolean }[];
}

const TOKEN = 'bench-webhook-token-0123456789';

/**
 * Measures the product against the engine and HTTP baselines on the same machine, in one run:
 * every figure is a ratio or a count, never an absolute time to compare across machines.
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  try {
    let server: RunningDevServer | undefined;
    let dbFilename: string | undefined;
    if (!options.address) {
      log('starting a dev server…');
      dbFilename = options.inFlight ? join(tmpdir(), `bench-${randomUUID()}`, 'temporal.db') : undefined;
      server = await startDevServer({ dbFilename });
      stops.push(() => server!.stop());
    }
    const address = options.address ?? server!.address;
    const sim = await startSimulator({ deliveryDelayMs: 0, smtpPort: false });
    stops.push(() => sim.close());
    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    const client = new Client({ connection });
    const taskQueue = `bench-${randomUUID()}`;
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    let lastSmsbatReceiptAt = 0;
    const indexUrl = `sqlite:${join(tmpdir(), `bench-${randomUUID()}`, 'receipts.sqlite')}`;
    const receipts = await openReceiptIndex(indexUrl);
    stops.push(() => receipts.close());
    // The DEFAULT abuse limits, counted where a worker counts them by default: the receipt index's database.
    const limitStore = await openLimitStore(indexUrl, DEFAULT_LIMITS);
    stops.push(() => limitStore.close());
    // Receipts count for provider health, as the shipped receiver (`npm run webhooks`) counts them:
    // the workers' health then sees each pushed send answered, not a provider gone silent.
    const receiverHealth = new ProviderHealth(await openHealthStore(indexUrl));
    stops.push(() => receiverHealth.close());
    // The workers' health reads the same database, as workers given CASCADE_RECEIPT_INDEX do (a
    // plugin given only a receipt index object keeps health in memory, where no receipt arrives).
    const workerHealth = new ProviderHealth(await openHealthStore(indexUrl));
    stops.push(() => workerHealth.close());
    /**
     * A scenario that breaks a provider on purpose (every SMSBAT receipt failed, receipts withheld)
     * rightly opens its breaker; an operator hands it back before the next scenario, which would
     * otherwise measure flows skipping SMSBAT.
     */
    const handBack = async () => {
      // Every key, opened or not: handing back also starts each key's window afresh, so failures
      // counted on purpose cannot open a breaker in the next scenario.
      for (const { key } of await receiverHealth.status()) await receiverHealth.force(key, 'auto', 'bench');
    };
    const receiver = await new WebhookReceiver({
      client,
      publicUrl,
      smsbatToken: TOKEN,
      receipts,
      health: receiverHealth,
      reachApiKey: SIM_CREDENTIALS.reach.apiKey,
      log: (entry) => {
        if (entry.route === '/webhooks/smsbat') lastSmsbatReceiptAt = Date.now();
      },
    }).start(port);
    stops.push(() => receiver.close());
    sim.setSmsbatWebhookUrl(smsbatWebhookUrl(publicUrl, TOKEN));

    const config = loadConfig({
      ...simulatorEnv(sim),
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      CASCADE_PUBLIC_WEBHOOK_URL: publicUrl,
      CASCADE_SMSBAT_WEBHOOK_TOKEN: TOKEN,
      // The bulk scenario writes its campaign files there.
      CASCADE_BULK_DIRS: tmpdir(),
    });
    log('bundling workflows…');
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('./workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const activityStartedAt = new Map<string, number>();
    const { worker, close } = await createCascadeWorker({
      config,
      plugin: { receiptIndex: receipts, limitStore, health: workerHealth },
      workflowBundle: { code },
      worker: {
        activities: {
          benchNoop: async (id: string) => void activityStartedAt.set(id, Date.now()),
        },
      },
    });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
      await close();
    });
    const cascade = new CascadeClient({ client, taskQueue, otpSecret: TEST_OTP_SECRET });
    // The same worker without limits, on a queue of its own: the baseline the limits are measured against.
    const offQueue = `${taskQueue}-limits-off`;
    const off = await createCascadeWorker({
      config,
      plugin: { receiptIndex: receipts, limits: false, health: workerHealth },
      workflowBundle: { code },
      worker: { taskQueue: offQueue },
    });
    const offRunning = off.worker.run();
    stops.push(async () => {
      off.worker.shutdown();
      await offRunning;
      await off.close();
    });
    // The same startOtp on both sides (it waits for the flow's admission): a worker without limits
    // admits every flow without asking a store, so the ratio is what the limits cost.
    const cascadeOff = new CascadeClient({ client, taskQueue: offQueue, otpSecret: TEST_OTP_SECRET });
    const { flows: n, concurrency } = options;
    const sections: Record<string, Figures> = new Proxy({} as Record<string, Figures>, {
      // Each section is shown as soon as it is measured: a long run's progress, and its partial results.
      set: (target, key: string, figures: Figures) => {
        target[key] = figures;
        log(`${key}: ${JSON.stringify(figures, (_, v: unknown) => (typeof v === 'number' ? +v.toFixed(2) : v))}`);
        return true;
      },
    });
    const happyRate = () => sections['happy path'].flowsPerSec;
    const workflowsOnQueue = async () => (await client.workflow.count(`TaskQueue = '${taskQueue}'`)).count;
    const phone = (scenario: number, i: number) => `+3806${scenario}${String(1_000_000 + i * 10 + 1).slice(-7)}`;

    // 1. Engine baseline.
    log(`engine baseline: ${n} workflows with one no-op activity…`);
    const baseLatency: number[] = [];
    const baseWall = await runConcurrently(n, concurrency, async (i) => {
      const id = `bench-base-${randomUUID()}`;
      const t0 = Date.now();
      await client.workflow.execute('benchBaseline', { taskQueue, workflowId: id, args: [id] });
      baseLatency.push(activityStartedAt.get(id)! - t0);
      void i;
    });
    const engine = {
      flowsPerSec: (n / baseWall) * 1000,
      startToActivityP50: percentile(baseLatency, 50),
      startToActivityP99: percentile(baseLatency, 99),
    };
    sections['engine baseline'] = engine;

    // 2. HTTP baseline: direct undici sends to the simulator, one process.
    log(`HTTP baseline: ${n} direct SMSBAT sends…`);
    const direct = new SmsbatClient({ baseUrl: sim.url, credentials: { apiKey: SIM_CREDENTIALS.smsbat.apiKey } });
    const httpWall = await runConcurrently(n, concurrency, async (i) => {
      await direct.send({
        id: `direct-${i}-${randomUUID()}`,
        fromName: 'Bench',
        toPhone: phone(9, i),
        messageType: 'transaction',
        text: 'hi',
      });
    });
    await direct.close();
    sections['HTTP baseline'] = { sendsPerSec: (n / httpWall) * 1000 };

    // 3 and 4. Happy path and fallback path.
    for (const [name, scenario] of [
      ['happy path', 1],
      ['fallback path', 2],
    ] as const) {
      log(`${name}: ${n} deliverMessage flows…`);
      const workflowsBefore = await workflowsOnQueue();
      if (scenario === 2) sim.script({ prefix: `+3806${scenario}`, provider: 'smsbat', outcome: { kind: 'fail' } });
      const toProvider: number[] = [];
      const receiptToDone: number[] = [];
      const ids: string[] = [];
      const wall = await runConcurrently(n, concurrency, async (i) => {
        const to = phone(scenario, i);
        const t0 = Date.now();
        const { id } = await cascade.sendMessage({
          trackingId: `bench-${scenario}-${randomUUID()}`,
          recipient: { phone: to },
          text: 'Your order has shipped',
          steps: [
            { channel: 'smsbat', fromName: 'Bench', deliveryTimeout: '1m' },
            { channel: 'reach', src: 'Bench', deliveryTimeout: '1m' },
          ],
        });
        ids.push(id);
        const result = (await cascade.result(id)) as { status: string };
        const done = Date.now();
        if (result.status !== 'delivered') throw new Error(`${name}: flow ${id} ended ${result.status}`);
        const provider = scenario === 1 ? 'smsbat' : 'reach';
        const request = sim.messages(provider).find((m) => m.recipient === to);
        toProvider.push(sim.requests().find((r) => r.rawBody.includes(to.slice(1)))!.receivedAt - t0);
        receiptToDone.push(done - request!.acceptedAt);
      });
      // Visibility is eventually consistent: let the last starts show before counting.
      await new Promise((r) => setTimeout(r, 1500));
      const workflowsStarted = (await workflowsOnQueue()) - workflowsBefore;
      const sample = ids.slice(0, 5);
      let events = 0;
      for (const id of sample) events += (await client.workflow.getHandle(id).fetchHistory()).events!.length;
      sections[name] = {
        flowsPerSec: (n / wall) * 1000,
        throughputVsEngine: ratio((n / wall) * 1000, engine.flowsPerSec),
        startToProviderP50VsEngine: ratio(percentile(toProvider, 50), engine.startToActivityP50),
        startToProviderP99VsEngine: ratio(percentile(toProvider, 99), engine.startToActivityP99),
        receiptToCompletionP50VsEngine: ratio(percentile(receiptToDone, 50), engine.startToActivityP50),
        receiptToCompletionP99VsEngine: ratio(percentile(receiptToDone, 99), engine.startToActivityP99),
        historyEventsPerFlow: events / sample.length,
        workflowsPerFlow: workflowsStarted / n,
      };
      if (scenario === 2) await handBack();
    }

    // 5. OTP: start → code sent → verify approved, one country over four operator prefixes (distinct
    // numbers), with the DEFAULT abuse limits (as users run it) and, for the ratio, without.
    const abuseGuardsRunning = async () =>
      (await client.workflow.count(`WorkflowType = 'abuseGuard' AND ExecutionStatus = 'Running'`)).count;
    const guardsBefore = await abuseGuardsRunning();
    const otpPrefixes = ['+38063', '+38066', '+38067', '+38068'];
    const otpPhone = (run: number, i: number) =>
      `${otpPrefixes[i % 4]}${String(run)}${String(1_000_000 + i).slice(-6)}`;
    // One reader of the simulator's log for every flow waiting for its code: 50 readers each copying
    // and sorting thousands of messages every 50 ms would take the in-process worker's CPU, and more
    // of it in whichever run comes later (the log only grows).
    const codes = new CodeWatcher(() => sim.messages('smsbat'));
    const measureOtp = async (via: CascadeClient, run: number, flows = n) => {
      const startLatency: number[] = [];
      const startToCode: number[] = [];
      const verifyLatency: number[] = [];
      const notApproved: string[] = [];
      let refused = 0;
      let unavailable = 0;
      const wall = await runConcurrently(flows, concurrency, async (i) => {
        const to = otpPhone(run, i);
        const t0 = Date.now();
        let id: string;
        try {
          ({ id } = await via.startOtp({
            trackingId: `bench-otp-${randomUUID()}`,
            recipient: { phone: to },
            steps: [{ channel: 'smsbat', fromName: 'Bench' }],
            template: 'Code {code}',
          }));
        } catch (err) {
          if (!(err instanceof CascadeLimitError)) throw err;
          refused++;
          if (err.reason === 'guard_unavailable') unavailable++;
          return;
        }
        startLatency.push(Date.now() - t0);
        const code = await codes.next(to);
        if (!code) throw new Error(`OTP: no code reached ${to} within 2 minutes (flow ${id})`);
        const { text } = code;
        startToCode.push(code.acceptedAt - t0);
        const t1 = Date.now();
        const verdict = await via.verifyOtp(id, /(\d{6})/.exec(text ?? '')![1]);
        verifyLatency.push(Date.now() - t1);
        if (verdict.status !== 'approved') notApproved.push(`${id}: ${verdict.status}`);
      });
      if (notApproved.length) log(`  not approved: ${notApproved.slice(0, 5).join(', ')}`);
      return {
        flows,
        wall,
        startLatency,
        startToCode,
        verifyLatency,
        notApproved: notApproved.length,
        refused,
        unavailable,
      };
    };
    type OtpRun = Awaited<ReturnType<typeof measureOtp>>;
    const joinOtpRuns = (a: OtpRun, b: OtpRun) => {
      const startLatency = [...a.startLatency, ...b.startLatency];
      const startToCode = [...a.startToCode, ...b.startToCode];
      return {
        flowsPerSec: ((a.flows + b.flows) / (a.wall + b.wall)) * 1000,
        startOtpP50: percentile(startLatency, 50),
        startToCodeP50: percentile(startToCode, 50),
        verifyLatency: [...a.verifyLatency, ...b.verifyLatency],
        notApproved: a.notApproved + b.notApproved,
        refused: a.refused + b.refused,
        unavailable: a.unavailable + b.unavailable,
      };
    };
    // Both workers warmed first (unmeasured), so neither run pays for the other's cold start.
    await measureOtp(cascadeOff, 3, Math.min(n, concurrency));
    await measureOtp(cascade, 4, Math.min(n, concurrency));
    // Off, on, on, off: each side gets an early and a late slot, so neither pays for the server's
    // and the worker's drift over the run (history tables, caches) alone.
    const half = Math.max(1, Math.floor(n / 2));
    log(`OTP: ${2 * half} flows each with limits off and on (DEFAULT, four prefixes), interleaved…`);
    const otpOffA = await measureOtp(cascadeOff, 2, half);
    const otpOnA = await measureOtp(cascade, 1, half);
    const otpOnB = await measureOtp(cascade, 5, half);
    const otpOffB = await measureOtp(cascadeOff, 6, half);
    codes.stop();
    const otpOff = joinOtpRuns(otpOffA, otpOffB);
    const otpOn = joinOtpRuns(otpOnA, otpOnB);
    await new Promise((r) => setTimeout(r, 1500));
    sections['OTP'] = {
      flowsPerSec: otpOn.flowsPerSec,
      throughputVsEngine: ratio(otpOn.flowsPerSec, engine.flowsPerSec),
      verifyP50VsEngine: ratio(percentile(otpOn.verifyLatency, 50), engine.startToActivityP50),
      verifyP99VsEngine: ratio(percentile(otpOn.verifyLatency, 99), engine.startToActivityP99),
      notApproved: otpOn.notApproved,
    };
    sections['abuse limits: OTP on vs off'] = {
      throughputOnVsOff: ratio(otpOn.flowsPerSec, otpOff.flowsPerSec),
      startOtpP50OnVsOff: ratio(otpOn.startOtpP50, otpOff.startOtpP50),
      startToCodeP50OnVsOff: ratio(otpOn.startToCodeP50, otpOff.startToCodeP50),
      refusals: otpOn.refused,
      guardUnavailable: otpOn.unavailable,
      otpsBetweenCounts: 2 * n,
      abuseGuardRunningBefore: guardsBefore,
      abuseGuardRunningAfter: await abuseGuardsRunning(),
    };

    // 9. Webhook load: a burst of receipts, a quarter of each kind, for flows waiting on them.
    const burst = options.webhookBurst ?? 0;
    if (burst > 0) {
      // Up to 1000 flows: a burst is about the receiver, and more flows would only time the worker.
      // The first receipt per message is the valid one; the rest of the valid quarter repeats them.
      const waiting = Math.max(1, Math.min(1000, Math.floor(burst / 4)));
      log(`webhook load: ${burst} receipts for ${waiting} waiting flows…`);
      sim.script({ prefix: '+38064', provider: 'smsbat', outcome: { kind: 'pending' }, receipt: 'withhold' });
      const flowIds: string[] = [];
      await runConcurrently(waiting, concurrency, async (i) => {
        const { id } = await cascade.sendMessage({
          trackingId: `bench-hook-${randomUUID()}`,
          recipient: { phone: phone(4, i) },
          text: 'Receipt burst',
          steps: [{ channel: 'smsbat', fromName: 'Bench', deliveryTimeout: '10m' }],
        });
        flowIds.push(id);
      });
      // Every waiting flow's message must exist before the burst, or its valid receipt is never sent.
      let messageIds: string[] = [];
      // Given up only when no new message has come for two minutes.
      for (let seen = 0, progressAt = Date.now(); ; await new Promise((r) => setTimeout(r, 100))) {
        messageIds = sim
          .messages('smsbat')
          .filter((m) => m.recipient.startsWith('+38064'))
          .map((m) => m.messageId);
        if (messageIds.length >= waiting) break;
        if (messageIds.length > seen) [seen, progressAt] = [messageIds.length, Date.now()];
        if (Date.now() - progressAt > 120_000)
          throw new Error(`webhook load: only ${messageIds.length}/${waiting} messages sent`);
      }
      const kinds = ['valid', 'duplicate', 'forged', 'malformed'] as const;
      const counts: Record<string, number> = {};
      const latency: number[] = [];
      const hookUrl = smsbatWebhookUrl(publicUrl, TOKEN);
      const wall = await runConcurrently(burst, concurrency, async (i) => {
        const kind = kinds[i % 4];
        const messageId = messageIds[Math.floor(i / 4) % messageIds.length];
        const body =
          kind === 'malformed'
            ? '{"messageId": 42'
            : JSON.stringify({
                messageId,
                deliverystatus: 'delivered',
                timestamp: new Date().toISOString(),
                cost: 0.05,
              });
        const url = kind === 'forged' ? smsbatWebhookUrl(publicUrl, 'forged-token-0123456789') : hookUrl;
        const t0 = Date.now();
        const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        await res.arrayBuffer();
        latency.push(Date.now() - t0);
        counts[res.status] = (counts[res.status] ?? 0) + 1;
      });
      const healthy = (await fetch(`${publicUrl}/healthz`)).status === 200;
      const settled = await Promise.all(
        flowIds.map(
          (id) =>
            cascade.result(id) as Promise<{
              status: string;
              attempts: { status: string; error?: { message: string } }[];
            }>,
        ),
      );
      for (const r of settled.filter((r) => r.status !== 'delivered')) {
        log(`  not delivered: ${r.status} ${JSON.stringify(r.attempts.map((a) => [a.status, a.error?.message]))}`);
      }
      sections['webhook load'] = {
        receipts: burst,
        receiptsPerSec: (burst / wall) * 1000,
        accepted200: counts[200] ?? 0,
        rejected401: counts[401] ?? 0,
        rejected400: counts[400] ?? 0,
        other: burst - (counts[200] ?? 0) - (counts[401] ?? 0) - (counts[400] ?? 0),
        latencyP99VsEngine: ratio(percentile(latency, 99), engine.startToActivityP50),
        receiverStillHealthy: healthy ? 1 : 0,
        flowsDelivered: settled.filter((r) => r.status === 'delivered').length,
        flowsWaiting: waiting,
      };
      // The burst withheld receipts for longer than the silent rule's 30 s on purpose.
      await handBack();
    }

    // 6. In flight (--full): a separate worker process, so its RSS is its own.
    if (options.inFlight) {
      const figures = await measureInFlight(
        { client, sim, address, bundleCode: code, dbFilename, concurrency, log },
        options.inFlight,
      );
      sections['in flight'] = {
        ...figures,
        // An upper bound: the growth also holds the garbage the heap limit lets V8 keep.
        rssPerCachedFlowMB:
          (figures.workerRssWaitingMB - figures.workerRssBeforeMB) /
          Math.min(figures.workerMaxCachedWorkflows, figures.flows),
        drainVsHappyPath: ratio(figures.drainFlowsPerSec, happyRate()),
      };
    }

    // 7. Bulk (--full), last: it leaves the simulator holding its messages.
    if (options.bulk) {
      log(`bulk: ${options.bulk} messages through bulkSend and directly…`);
      sections['bulk'] = await measureBulk({ client, sim, taskQueue }, options.bulk);
    }

    // 8. Bulk with receipts pushed by webhook (--full: 100 000).
    if (options.bulkWebhooks) {
      log(`bulk with webhooks: ${options.bulkWebhooks} messages, every receipt posted to the receiver…`);
      sections['bulk with webhooks'] = await measureBulkWebhooks(
        { client, sim, taskQueue, lastSmsbatReceiptAt: () => lastSmsbatReceiptAt },
        options.bulkWebhooks,
      );
    }

    // 10. The receipt index alone, per backend, against the flow rate it must sustain.
    if (options.indexOps) {
      const ops = options.indexOps;
      const asFlowRate = (f: Awaited<ReturnType<typeof measureReceiptIndex>>) => ({
        ...f,
        claimsVsHappyPathFlowRate: ratio(f.claimsPerSec, happyRate()),
        routesVsHappyPathFlowRate: ratio(f.routesPerSec, happyRate()),
      });
      log(`receipt index: ${ops} claims, ${ops} batched claims, ${ops} routes on SQLite…`);
      const sqlite = await openReceiptIndex(`sqlite:${join(tmpdir(), `bench-${randomUUID()}`, 'index.sqlite')}`);
      try {
        sections['receipt index (SQLite)'] = asFlowRate(await measureReceiptIndex(sqlite, ops));
      } finally {
        await sqlite.close();
      }
      let postgres: Awaited<ReturnType<typeof startPostgres>> | undefined;
      try {
        postgres = await startPostgres();
      } catch (err) {
        log(`  receipt index on PostgreSQL skipped: ${(err as Error).message.split('\n')[0]}`);
      }
      if (postgres) {
        log(`receipt index: the same on PostgreSQL…`);
        const pg = await openReceiptIndex(postgres.url);
        try {
          sections['receipt index (PostgreSQL)'] = asFlowRate(await measureReceiptIndex(pg, ops));
        } finally {
          await pg.close();
          await postgres.stop();
        }
      }
    }

    // 10b. The abuse limits' rules in simulated time, and the limit store's own throughput.
    if (options.indexOps) {
      const limitsDir = join(tmpdir(), `bench-${randomUUID()}`);
      let files = 0;
      log('abuse limits: realistic traffic and pumping on the DEFAULT policy (simulated clock, SQLite)…');
      sections['abuse limits: rules'] = await measureLimitRules(
        () => openLimitBackend(`sqlite:${join(limitsDir, `rules-${++files}.sqlite`)}`),
        { perHour: 450, hours: 3 },
      );
      const otpRate = sections['OTP'].flowsPerSec;
      const ops = Math.min(options.indexOps, 5000);
      log(`abuse limits: ${ops} admissions on the SQLite store…`);
      const onSqlite = await measureLimitStore(
        await openLimitBackend(`sqlite:${join(limitsDir, 'store.sqlite')}`),
        ops,
      );
      sections['limit store (SQLite)'] = { ...onSqlite, decisionsVsOtpRate: ratio(onSqlite.decisionsPerSec, otpRate) };
      let postgres: Awaited<ReturnType<typeof startPostgres>> | undefined;
      try {
        postgres = await startPostgres();
      } catch (err) {
        log(`  limit store on PostgreSQL skipped: ${(err as Error).message.split('\n')[0]}`);
      }
      if (postgres) {
        try {
          log(`abuse limits: ${ops} admissions on the PostgreSQL store…`);
          const onPg = await measureLimitStore(await openLimitBackend(postgres.url), ops);
          sections['limit store (PostgreSQL)'] = { ...onPg, decisionsVsOtpRate: ratio(onPg.decisionsPerSec, otpRate) };
        } finally {
          await postgres.stop();
        }
      }
    }

    // 11. The happy path with the worker's metrics exported and without.
    if (options.metricsOverhead) {
      sections['metrics overhead'] = await measureMetricsOverhead(
        {
          client,
          sim,
          address,
          bundleCode: code,
          publicUrl,
          token: TOKEN,
          indexUrl,
          concurrency,
          phone: (i) => phone(7, i),
          log,
        },
        options.metricsOverhead,
      );
    }

    // 12. Last (it fills the receiver's park): a flood of receipts for ids nobody claimed.
    if (options.flood) {
      log(`unknown-id flood: ${options.flood} token-valid receipts for invented ids, legitimate flows beside them…`);
      sections['unknown-id flood'] = await measureUnknownFlood(
        { client, cascade, taskQueue, publicUrl, token: TOKEN, phone: (i) => phone(8, i) },
        options.flood,
        concurrency,
      );
    }

    const happy = sections['happy path'];
    const targets: Target[] = [
      atLeast('happy-path throughput / engine', happy.throughputVsEngine, 0.6),
      atMost('happy-path history events per flow', happy.historyEventsPerFlow, 12),
      exactly('workflows per single-message flow', happy.workflowsPerFlow, 1),
    ];
    const limits = sections['abuse limits: OTP on vs off'];
    targets.push(
      atLeast('OTP throughput, limits on / off', limits.throughputOnVsOff, 0.9),
      atMost('startOtp p50, limits on / off', limits.startOtpP50OnVsOff, 1.5),
      exactly('OTP refusals guard_unavailable (DEFAULT limits)', limits.guardUnavailable, 0),
      exactly('abuseGuard workflows running after the OTPs', limits.abuseGuardRunningAfter, 0),
    );
    const rules = sections['abuse limits: rules'];
    if (rules) {
      targets.push(
        exactly('realistic traffic (450/h, 75 % converted, 3 h): refusals', rules.realisticRefusals, 0),
        atMost('pumping at 3/s: codes sent before the block', rules.pumpingCodesSent, 100),
      );
    }
    const flight = sections['in flight'];
    if (flight) {
      targets.push(
        atMost('worker RSS with all flows in flight, MB', flight.workerRssPeakMB, 256),
        atMost('worker RSS per cached flow, MB (upper bound)', flight.rssPerCachedFlowMB, 0.5),
      );
    }
    const metrics = sections['metrics overhead'];
    if (metrics) targets.push(atLeast('happy-path throughput, metrics exported / not', metrics.exportedVsNot, 0.95));
    const flood = sections['unknown-id flood'];
    if (flood) {
      targets.push(
        atMost(
          'unknown-id flood: running workflows after − before',
          flood.runningWorkflowsAfter - flood.runningWorkflowsBefore,
          0,
        ),
        atMost('unknown-id flood: legitimate p50 during / idle', flood.legitimateP50DuringVsIdle, 2),
      );
    }
    const hooks = sections['bulk with webhooks'];
    if (hooks) {
      targets.push(
        atMost('bulk with webhooks: workflows per message', hooks.workflowsPerMessage, 0.01),
        atLeast('bulk with webhooks: final statuses by webhook', hooks.finalStatusesByWebhookShare, 0.99),
        atMost('bulk with webhooks: status GETs per 100 messages', hooks.statusGetsPer100Messages, 1),
        atMost('bulk with webhooks: last receipt → complete, s', hooks.lastReceiptToCompleteMs / 1000, 30),
      );
    }
    return {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      options: { flows: n, concurrency },
      sections,
      targets,
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

type Target = BenchReport['targets'][number];
const atMost = (name: string, value: number, limit: number): Target => ({
  name,
  value,
  target: `≤ ${limit}`,
  met: value <= limit,
});
const exactly = (name: string, value: number, wanted: number): Target => ({
  name,
  value,
  target: `= ${wanted}`,
  met: value === wanted,
});
const atLeast = (name: string, value: number, limit: number): Target => ({
  name,
  value,
  target: `≥ ${limit}`,
  met: value >= limit,
});

export function formatReport(report: BenchReport): string {
  const lines = [
    `temporal-cascade bench — ${report.options.flows} flows per scenario, ${report.options.concurrency} in flight, ${report.machine.cpus} CPUs, Node ${report.machine.node}`,
  ];
  for (const [section, figures] of Object.entries(report.sections)) {
    lines.push('', section);
    for (const [name, value] of Object.entries(figures))
      lines.push(`  ${name.padEnd(34)} ${Number.isInteger(value) ? value : value.toFixed(2)}`);
  }
  lines.push('', 'targets');
  for (const t of report.targets)
    lines.push(`  ${t.met ? 'met   ' : 'MISSED'} ${t.name.padEnd(48)} ${t.value.toFixed(2)} (target ${t.target})`);
  return lines.join('\n');
}

/** Resolves each waiting recipient's first message, reading the simulator's log once per tick for all of them. */
class CodeWatcher {
  private readonly waiting = new Map<string, { until: number; resolve: (m: SimMessage | undefined) => void }[]>();
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly messages: () => SimMessage[]) {}

  next(recipient: string, withinMs = 120_000): Promise<SimMessage | undefined> {
    return new Promise((resolve) => {
      const list = this.waiting.get(recipient) ?? [];
      list.push({ until: Date.now() + withinMs, resolve });
      this.waiting.set(recipient, list);
      this.timer ??= setInterval(() => this.tick(), 50);
    });
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (this.waiting.size === 0) return;
    const first = new Map<string, SimMessage>();
    for (const m of this.messages())
      if (this.waiting.has(m.recipient) && !first.has(m.recipient)) first.set(m.recipient, m);
    const now = Date.now();
    for (const [recipient, list] of this.waiting) {
      const found = first.get(recipient);
      const keep = list.filter((w) => {
        if (found) w.resolve(found);
        else if (now > w.until) w.resolve(undefined);
        else return true;
        return false;
      });
      if (keep.length) this.waiting.set(recipient, keep);
      else this.waiting.delete(recipient);
    }
  }
}

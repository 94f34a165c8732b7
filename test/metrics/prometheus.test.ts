import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { parse } from 'yaml';
import { findPrometheus, findPromtool, startPrometheus, type PrometheusServer } from '../../scripts/prometheus';
import { openLimitStore } from '../../src/limits/open';
import { type LimitStore } from '../../src/limits/store';
import { sealOtpCode } from '../../src/otp/codes';
import { openReceiptIndex } from '../../src/receipts/open';
import { type ReceiptIndex } from '../../src/receipts/types';
import { DEFAULT_LIMITS } from '../../src/shared/limits';
import { verifyUpdate, resendUpdate } from '../../src/shared/messages';
import type { OtpInput, Step } from '../../src/shared/schemas';
import { SIM_CREDENTIALS, startSimulator, type Simulator } from '../../src/sim/server';
import { freePort } from '../../src/testing/dev-server';
import { createLocalEnvironment, SHARED_DEV_SERVER_ENV } from '../../src/testing/environment';
import { WebhookReceiver } from '../../src/webhooks/receiver';
import { smsbatWebhookUrl } from '../../src/webhooks/urls';
import { bulkSend, deliverMessage, otpVerification } from '../../src/workflows';
import { simEnv, TEST_OTP_SECRET } from '../support/cascade';
import { startWorkerMain } from '../support/worker-main';

const DASHBOARD = join(__dirname, '../../dashboards/temporal-cascade.json');
const RULES = join(__dirname, '../../dashboards/temporal-cascade-alerts.yaml');

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}

const panels = (JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] }).panels.filter((p) => p.targets);
const rules = (
  parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] }
).groups.flatMap((g) =>
  g.rules.map((r) => ({ name: (r.alert ?? r.record)!, kind: r.alert ? 'alert' : 'recording rule', expr: r.expr })),
);

const prometheusBin = findPrometheus();
if (!prometheusBin) {
  console.warn(
    'SKIPPED test/metrics/prometheus.test.ts: no prometheus binary (Debian: apt-get install prometheus; .ci/run installs it)',
  );
}
const withPrometheus = prometheusBin ? describe : describe.skip;

/** Phones of one country calling code (+380), unique to this run. */
let seq = 0;
const run = String(Date.now() % 100_000).padStart(5, '0');
const phone = () => `+38097${run}${String(++seq).padStart(2, '0')}`;

withPrometheus('metrics, the dashboard and the alert rules, through a real Prometheus', () => {
  let env: TestWorkflowEnvironment;
  let sim: Simulator;
  let receipts: ReceiptIndex;
  let receiver: WebhookReceiver;
  let limits: LimitStore;
  let worker: Awaited<ReturnType<typeof startWorkerMain>>;
  let prom: PrometheusServer;
  let dir: string;
  const taskQueue = `metrics-${randomUUID()}`;
  const webhookToken = randomBytes(16).toString('hex');

  beforeAll(async () => {
    env = await createLocalEnvironment();
    sim = await startSimulator({ deliveryDelayMs: 0 });
    dir = mkdtempSync(join(tmpdir(), 'cascade-metrics-'));
    const index = `sqlite:${join(dir, 'receipts.sqlite')}`;
    receipts = await openReceiptIndex(index);
    // The limit store the worker counts in (the index's file): the receiver reports its blocks.
    limits = await openLimitStore(index, DEFAULT_LIMITS);
    const metricsToken = randomBytes(16).toString('hex');
    receiver = new WebhookReceiver({
      client: env.client,
      publicUrl: 'http://127.0.0.1',
      smsbatToken: webhookToken,
      receipts,
      reachApiKey: SIM_CREDENTIALS.reach.apiKey,
      smsbatCurrency: 'UAH',
      metricsToken,
      limitStore: limits,
      limitStoreCacheMs: 0,
    });
    await receiver.start(0);
    receiver.setPublicUrl(receiver.url);
    sim.setSmsbatWebhookUrl(smsbatWebhookUrl(receiver.url, webhookToken));
    const workerMetrics = `127.0.0.1:${await freePort()}`;
    worker = await startWorkerMain({
      ...simEnv(sim),
      TEMPORAL_ADDRESS: process.env[SHARED_DEV_SERVER_ENV] ?? env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      CASCADE_METRICS_ADDRESS: workerMetrics,
      CASCADE_PUBLIC_WEBHOOK_URL: receiver.url,
      CASCADE_SMSBAT_WEBHOOK_TOKEN: webhookToken,
      CASCADE_RECEIPT_INDEX: index,
    });
    prom = await startPrometheus({
      targets: [
        { job: 'cascade-worker', address: workerMetrics },
        { job: 'cascade-receiver', address: new URL(receiver.url).host, bearerToken: metricsToken },
      ],
      ruleFiles: [RULES],
    });
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await receiver?.close();
    await receipts?.close();
    await limits?.close();
    await sim?.close();
    await env?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const SMSBAT: Step = { channel: 'smsbat', fromName: 'Shop' } as Step;
  const REACH: Step = { channel: 'reach', src: 'Shop' } as Step;

  const deliver = (to: string, steps: Step[]) =>
    env.client.workflow.execute(deliverMessage, {
      taskQueue,
      workflowId: `deliver:${randomUUID()}`,
      args: [{ trackingId: randomUUID(), recipient: { phone: to }, text: 'Your order shipped', steps }],
    });

  /** SMSBAT refuses it; the chain falls back to Reach. */
  const deliverWithFallback = (to: string) => {
    sim.script({ provider: 'smsbat', recipient: to, outcome: { kind: 'fail' } });
    return deliver(to, [SMSBAT, REACH]);
  };

  const startOtp = (to: string, overrides: Partial<OtpInput> = {}) =>
    env.client.workflow.start(otpVerification, {
      taskQueue,
      workflowId: `otp:${randomUUID()}`,
      args: [
        { trackingId: randomUUID(), recipient: { phone: to }, steps: [REACH], template: 'Code {code}', ...overrides },
      ],
    });

  async function codeSentTo(to: string, nth = 1): Promise<string> {
    for (;;) {
      const sent = sim.messages('reach').filter((m) => m.recipient === to);
      if (sent.length >= nth) return /(\d{6})/.exec(sent[nth - 1].text ?? '')![1];
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * An update that met a workflow task failing for another reason (a task timed out on a busy
   * machine) is sent again, with the same update id, as CascadeClient does.
   */
  async function update<T>(send: (updateId: string) => Promise<T>): Promise<T> {
    const updateId = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(updateId);
      } catch (err) {
        const raced = /workflow task failure/i.test(String((err as { cause?: unknown }).cause ?? err));
        if (!raced || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  async function otpApproved(to: string) {
    const handle = await startOtp(to);
    const code = await codeSentTo(to);
    await update((updateId) =>
      handle.executeUpdate(verifyUpdate, {
        args: [{ code: sealOtpCode(TEST_OTP_SECRET, handle.workflowId, code) }],
        updateId,
      }),
    );
    return handle.result();
  }

  async function otpTooManyAttempts(to: string) {
    const handle = await startOtp(to, { maxAttempts: 1 });
    const code = await codeSentTo(to);
    const wrong = code.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    await update((updateId) =>
      handle.executeUpdate(verifyUpdate, {
        args: [{ code: sealOtpCode(TEST_OTP_SECRET, handle.workflowId, wrong) }],
        updateId,
      }),
    );
    return handle.result();
  }

  async function otpResentThenExpired(to: string) {
    const handle = await startOtp(to, { codeTtl: '4s', resendCooldown: 0 });
    await codeSentTo(to);
    await update((updateId) => handle.executeUpdate(resendUpdate, { args: [{}], updateId }));
    return handle.result();
  }

  const otpExpired = async (to: string) => (await startOtp(to, { codeTtl: '3s' })).result();

  const badWebhook = () =>
    fetch(`${receiver.url}/webhooks/smsbat/not-the-token`, { method: 'POST', body: '{}' }).then((r) => r.status);

  /** A query's single value (the sum of what it selects), once Prometheus has it. */
  async function value(expr: string): Promise<number> {
    const result = await prom.query(expr);
    return result.length === 0 ? 0 : Number(result[0].value[1]);
  }

  /** Waits (on progress, not a fixed sleep) until every query has data, or returns what is still missing. */
  async function missing(exprs: string[], timeoutMs = 60_000): Promise<string[]> {
    const until = Date.now() + timeoutMs;
    let left = exprs;
    for (;;) {
      const empty: string[] = [];
      for (const e of left) if ((await prom.query(e)).length === 0) empty.push(e);
      left = empty;
      if (left.length === 0 || Date.now() > until) return left;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async function settles(expected: Record<string, number>, timeoutMs = 60_000): Promise<Record<string, number>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const got: Record<string, number> = {};
      for (const q of Object.keys(expected)) got[q] = await value(q);
      if (Object.keys(expected).every((q) => got[q] >= expected[q]) || Date.now() > until) return got;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Grafana's variables as a user who picked this run's namespace and task queue sets them. */
  const asGrafana = (expr: string) =>
    expr
      .replaceAll('$namespace', 'default')
      .replaceAll('$task_queue', taskQueue)
      .replaceAll('$__rate_interval', '2m')
      .replaceAll('$__range', '1h');

  test('a scenario shows in Prometheus as it happened; every panel and every alert rule has data', async () => {
    const tq = `taskQueue="${taskQueue}"`;
    // 1. One of everything, so every series exists before the counted part (Prometheus reads
    //    the first sample of a counter as its baseline, and the alert rules look at increases).
    const warm = { delivered: phone(), fallback: phone(), otp: phone() };
    await deliver(warm.delivered, [SMSBAT]);
    await deliverWithFallback(warm.fallback);
    await otpApproved(warm.otp);
    expect(await badWebhook()).toBe(401);
    const campaign = [phone(), phone()];
    await env.client.workflow.execute(bulkSend, {
      taskQueue,
      workflowId: `bulk:${randomUUID()}`,
      args: [
        {
          bulkId: randomUUID(),
          step: SMSBAT as never,
          messages: campaign.map((p, i) => ({ id: `m-${i}`, phone: p, text: 'Spring sale' })),
          ratePerSecond: 100,
        },
      ],
    });
    expect(
      await missing([
        `temporal_cascade_delivery_outcomes_total{${tq}, provider="smsbat", outcome="failed"}`,
        `temporal_cascade_fallbacks_total{${tq}}`,
        `temporal_cascade_otp_completed_total{${tq}, outcome="approved"}`,
        `temporal_cascade_otp_started_total{${tq}}`,
        `temporal_cascade_receiver_requests_total{code="401"}`,
      ]),
    ).toEqual([]);

    // 2. The counted part: N delivered by SMSBAT, M falling back to Reach, OTPs mostly never
    //    verified (the pumping pattern), one start over the recipient's hourly quota, bad webhooks.
    const N = 9;
    const M = 4;
    const delivered = Array.from({ length: N }, phone);
    const fallbacks = Array.from({ length: M }, phone);
    const quotaPhone = phone();
    const results = await Promise.all([
      ...delivered.map((p) => deliver(p, [SMSBAT])),
      ...fallbacks.map((p) => deliverWithFallback(p)),
      otpApproved(phone()),
      otpTooManyAttempts(phone()),
      otpResentThenExpired(quotaPhone),
      ...Array.from({ length: 4 }, () => otpExpired(quotaPhone)),
      ...Array.from({ length: 12 }, () => otpExpired(phone())),
      ...Array.from({ length: 4 }, badWebhook),
    ]);
    expect(results.slice(0, N).every((r) => typeof r === 'object' && r.status === 'delivered')).toBe(true);
    expect(results.slice(N, N + M).every((r) => typeof r === 'object' && r.status === 'delivered')).toBe(true);
    // The sixth code to one phone within the hour: refused by the abuse limits.
    await expect(startOtp(quotaPhone).then((h) => h.result())).rejects.toThrow();

    // What the providers received: SMSBAT delivered the N + 1 single messages to the phones it was
    // not told to fail, and was asked for M + 1 it failed.
    const smsbatTo = (phones: string[]) => sim.messages('smsbat').filter((m) => phones.includes(m.recipient)).length;
    expect(smsbatTo([warm.delivered, ...delivered])).toBe(N + 1);
    expect(smsbatTo([warm.fallback, ...fallbacks])).toBe(M + 1);

    const expected = {
      [`sum(temporal_cascade_delivery_outcomes_total{${tq}, provider="smsbat", outcome="delivered"})`]: N + 1,
      [`sum(temporal_cascade_delivery_outcomes_total{${tq}, provider="smsbat", outcome="failed"})`]: M + 1,
      [`sum(temporal_cascade_fallbacks_total{${tq}, from="smsbat", to="reach"})`]: M + 1,
      [`sum(temporal_cascade_sends_total{${tq}, provider="smsbat", result="accepted"})`]: N + M + 2,
      [`sum(temporal_cascade_otp_started_total{${tq}, country_code="380"})`]: 20,
      [`sum(temporal_cascade_otp_codes_sent_total{${tq}})`]: 21,
      [`sum(temporal_cascade_otp_resends_total{${tq}})`]: 1,
      [`sum(temporal_cascade_otp_completed_total{${tq}, outcome="approved"})`]: 2,
      [`sum(temporal_cascade_otp_completed_total{${tq}, outcome="too_many_attempts"})`]: 1,
      [`sum(temporal_cascade_otp_completed_total{${tq}, outcome="expired"})`]: 17,
      [`sum(temporal_cascade_abuse_allowed_total{${tq}})`]: 20,
      [`sum(temporal_cascade_abuse_refused_total{${tq}, scope="recipient", reason="hourly_quota"})`]: 1,
      [`sum(temporal_cascade_campaign_messages_total{${tq}, state="sent"})`]: 2,
      [`sum(temporal_cascade_campaign_messages_total{${tq}, state="delivered"})`]: 2,
      [`sum(temporal_cascade_receiver_requests_total{route="smsbat", code="401"})`]: 5,
      [`sum(temporal_cascade_delivery_latency_seconds_count{${tq}, provider="smsbat"})`]: N + 1,
    };
    // Counted where the code runs: activities and the receiver exactly once; what a workflow task
    // (or its local activity) records is counted again when that task fails and runs again — on a
    // busy machine a task can time out — so those may run one over, never under (README, "Operating it").
    const exactlyOnce = /temporal_cascade_(sends|receiver_requests)_total/;
    const got = await settles(expected);
    for (const [q, n] of Object.entries(expected)) {
      expect({ q, value: got[q] }).toEqual({ q, value: exactlyOnce.test(q) ? n : expect.any(Number) });
      expect(got[q]).toBeGreaterThanOrEqual(n);
      expect(got[q]).toBeLessThanOrEqual(exactlyOnce.test(q) ? n : n + 1);
    }
    // Spend, in the currency the receiver was told SMSBAT bills in.
    expect(
      await value(`sum(temporal_cascade_message_cost_sum{${tq}, provider="smsbat", currency="UAH"})`),
    ).toBeGreaterThan(0);
    // No label carries a phone number, an id or a code.
    const labels = await prom.query(`{__name__=~"temporal_cascade_.+"}`);
    const values = labels.flatMap((s) => Object.values(s.metric));
    expect(values.filter((v) => /\d{7,}|[0-9a-f]{8}-[0-9a-f]{4}/i.test(v) && !v.includes(taskQueue))).toEqual([]);

    // An operator blocks a prefix no one of this run writes to: the gauge, read from the store the
    // worker counts in, shows it (and the alert on blocked prefixes has data).
    const blocked = 'sum(temporal_cascade_abuse_blocks_active{scope="prefix", mode="enforce"})';
    await limits.block('+38099', 'metrics-test', 'seen pumping');
    expect(await settles({ [blocked]: 1 })).toEqual({ [blocked]: 1 });

    // 3. The shipped dashboard and rules, evaluated by the server: every query returns data.
    const exprs = [
      ...panels.flatMap((p) => p.targets!.map((t) => ({ what: `panel "${p.title}"`, expr: asGrafana(t.expr) }))),
      ...rules.map((r) => ({ what: `${r.kind} ${r.name}`, expr: r.expr })),
    ];
    const empty = await missing(exprs.map((e) => e.expr));
    expect(exprs.filter((e) => empty.includes(e.expr)).map((e) => e.what)).toEqual([]);

    // Every metric they name exists (a renamed or vanished one fails here, by name).
    const names = [...new Set(exprs.flatMap((e) => e.expr.match(/\btemporal_[a-z_]+/g) ?? []))];
    const absent = await missing(
      names.map((n) => `count({__name__="${n}"})`),
      5_000,
    );
    expect(absent).toEqual([]);

    // The server loaded the rules and evaluates them without error.
    const api = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string }[] }[] };
    };
    const loaded = api.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name).sort()).toEqual(rules.map((r) => r.name).sort());
    expect(loaded.filter((r) => r.health !== 'ok')).toEqual([]);
  }, 240_000);

  test('promtool accepts the alert rules', () => {
    const promtool = findPromtool();
    expect(promtool).toBeDefined();
    const check = spawnSync(promtool!, ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
    expect(check.status).toBe(0);
  });
});

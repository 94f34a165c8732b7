import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { CascadeClient } from '../../src/client';
import { loadConfig } from '../../src/config';
import { ProviderHealth } from '../../src/health/health';
import { openHealthStore } from '../../src/health/open';
import { openReceiptIndex } from '../../src/receipts/open';
import { type DeliveryResult } from '../../src/shared/types';
import { SIM_CREDENTIALS, startSimulator } from '../../src/sim/server';
import { type SimOutage } from '../../src/sim/types';
import { freePort } from '../../src/testing/dev-server';
import { simulatorEnv } from '../../src/testing/testbed';
import { WebhookReceiver } from '../../src/webhooks/receiver';
import { smsbatWebhookUrl } from '../../src/webhooks/urls';
import { createCascadeWorker } from '../../src/worker/create-worker';
import { percentile } from '../stats';

export interface HealthBenchOptions {
  address: string;
  /** Flows per wave (the issue's figures: 40 started together). */
  flows: number;
  /** Flows of the noise scenario. */
  noiseFlows: number;
  log: (line: string) => void;
}

export type Figures = Record<string, number>;

const TOKEN = 'bench-health-webhook-token-0123456789';
const KEYS = ['smsbat', 'smsbat/standard', 'smsbat/standard/+380', 'reach', 'reach/+380'];

/**
 * The issue-25 scenarios: the first provider of a `[smsbat, reach]` chain fails three ways (5xx to
 * everything, accept and hang, accept and never deliver), recovers, or only shows background
 * noise. Two workers (queues A and B) and one receiver share provider health in one SQLite file,
 * each through its own connection, as three processes on one host would; receipts come by webhook.
 * Every health threshold is the default.
 */
export async function measureProviderHealth(options: HealthBenchOptions): Promise<Record<string, Figures>> {
  const { log } = options;
  const stops: (() => Promise<void>)[] = [];
  try {
    const sim = await startSimulator({ deliveryDelayMs: 0, smtpPort: false });
    stops.push(() => sim.close());
    const connection = await Connection.connect({ address: options.address });
    stops.push(() => connection.close());
    const client = new Client({ connection });
    const dir = join(tmpdir(), `bench-health-${randomUUID()}`);
    const url = `sqlite:${join(dir, 'receipts.sqlite')}`;
    const receipts = await openReceiptIndex(url);
    stops.push(() => receipts.close());
    const changes: Record<string, unknown>[] = [];
    const openHealth = async () => {
      const h = new ProviderHealth(await openHealthStore(url), { log: (l) => changes.push(l) });
      stops.push(() => h.close());
      return h;
    };
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const receiver = await new WebhookReceiver({
      client,
      publicUrl,
      smsbatToken: TOKEN,
      receipts,
      health: await openHealth(),
      reachApiKey: SIM_CREDENTIALS.reach.apiKey,
    }).start(port);
    stops.push(() => receiver.close());
    sim.setSmsbatWebhookUrl(smsbatWebhookUrl(publicUrl, TOKEN));
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const queues = { A: `bench-health-a-${randomUUID()}`, B: `bench-health-b-${randomUUID()}` };
    const healths: ProviderHealth[] = [];
    for (const taskQueue of Object.values(queues)) {
      const health = await openHealth();
      healths.push(health);
      const config = loadConfig({
        ...simulatorEnv(sim),
        // The product's provider timeout (the test environments use 5 s).
        PROVIDER_TIMEOUT_MS: '10000',
        TEMPORAL_ADDRESS: options.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        CASCADE_PUBLIC_WEBHOOK_URL: publicUrl,
        CASCADE_SMSBAT_WEBHOOK_TOKEN: TOKEN,
      });
      const { worker, close } = await createCascadeWorker({
        config,
        plugin: { receiptIndex: receipts, health, limits: false },
        workflowBundle: { code },
      });
      const running = worker.run();
      stops.push(async () => {
        worker.shutdown();
        await running;
        await close();
      });
    }
    const operator = healths[0];
    const cascade = (queue: string) => new CascadeClient({ client, taskQueue: queue, limits: false });
    let n = 0;
    // Not the simulator's special numbers (…400 refused, …997–999 withheld or failed on every provider).
    const phone = (): string => {
      const to = `+38067${String(1_000_000 + (n++ % 8_000_000)).padStart(7, '0')}`;
      return /(400|99[789])$/.test(to) ? phone() : to;
    };

    interface Run {
      ms: number;
      result: DeliveryResult;
      startedAt: number;
      to: string;
    }
    const flow = async (queue: string): Promise<Run> => {
      const startedAt = Date.now();
      const c = cascade(queue);
      const to = phone();
      const { id } = await c.sendMessage({
        trackingId: `bench-health-${randomUUID()}`,
        recipient: { phone: to },
        text: 'Your code is 123456',
        steps: [
          { channel: 'smsbat', fromName: 'Bench' },
          { channel: 'reach', src: 'Bench' },
        ],
      });
      const result = (await c.result(id)) as DeliveryResult;
      return { ms: Date.now() - startedAt, result, startedAt, to };
    };
    const wave = (count: number, queue = queues.A) => Promise.all(Array.from({ length: count }, () => flow(queue)));
    const p50 = (runs: Run[]) =>
      percentile(
        runs.map((r) => r.ms),
        50,
      ) / 1000;
    // What SMSBAT received, not what the flows believe: a flow whose retry was skipped still paid.
    const triedSmsbat = (runs: Run[]) => {
      const bodies = sim.requests('smsbat').map((r) => r.rawBody);
      return runs.filter((r) => bodies.some((b) => b.includes(r.to.slice(1)))).length;
    };
    const skippedSmsbat = (runs: Run[]) => runs.filter((r) => r.result.attempts[0]?.status === 'skipped').length;
    const state = async () => (await operator.status()).find((s) => s.key === 'smsbat')?.state ?? 'closed';
    const reset = async () => {
      for (const c of changes) log(`  ${c.key}: ${c.from} → ${c.to} (${c.cause ?? ''} ${c.reason ?? ''})`);
      sim.setOutage('smsbat', 'healthy');
      for (const key of KEYS) await operator.force(key, 'auto', 'bench');
      changes.length = 0;
    };
    /** Starts waves of flows until the breaker opens (or `maxMs`); returns every run and the detection time. */
    const detect = async (queue: string, size: number, maxMs: number) => {
      const t0 = Date.now();
      const first = wave(size, queue);
      while ((await state()) === 'closed' && Date.now() - t0 < maxMs) await sleep(250);
      return { detectedS: (Date.now() - t0) / 1000, first };
    };

    const sections: Record<string, Figures> = {};
    log('provider health: healthy baseline…');
    await reset();
    // A first wave warms the workers up (bundle loaded, connections open); the second is measured.
    await wave(options.flows);
    const healthy = await wave(options.flows);
    const healthyP50 = p50(healthy);
    sections['health: healthy'] = {
      flows: healthy.length,
      p50StartToDeliveredS: healthyP50,
      viaSmsbat: healthy.filter((r) => r.result.deliveredBy?.channel === 'smsbat').length,
    };

    const outages: [string, SimOutage, number][] = [
      ['5xx', 'errors', options.flows],
      ['hang', 'hang', options.flows],
      // The silent rule needs minReceipts (10) pushed sends due.
      ['silent', 'silent', Math.max(options.flows, 12)],
    ];
    for (const [name, outage, size] of outages) {
      log(`provider health: ${name} outage, ${size} flows, then ${options.flows} after detection…`);
      await reset();
      sim.setOutage('smsbat', outage);
      const { detectedS, first } = await detect(queues.A, size, 5 * 60_000);
      const after = await wave(options.flows);
      const before = await first;
      // A wave once the flows the outage caught have moved on: the same load as the healthy wave,
      // so its ratio is the routing's own cost (the wave above shares the box with the first wave).
      const steady = await wave(options.flows);
      // Every flow should end delivered (Reach is healthy): say how any other ended.
      for (const r of [...before, ...after, ...steady].filter((x) => x.result.status !== 'delivered'))
        log(
          `  not delivered: the flow to …${r.to.slice(-3)} ended ${r.result.status}; ${r.result.attempts.map((a) => `${a.channel} ${a.status}${a.error ? ` (${a.error.type}: ${a.error.message})` : ''}`).join(', ')}`,
        );
      sections[`health: ${name}`] = {
        detectedAfterS: detectedS,
        firstWaveP50S: p50(before),
        afterDetectionP50S: p50(after),
        afterDetectionRatio: p50(after) / healthyP50,
        steadyP50S: p50(steady),
        steadyRatio: p50(steady) / healthyP50,
        steadySkipped: skippedSmsbat(steady),
        flowsPaidDetection: triedSmsbat([...before, ...after, ...steady]),
        afterDetectionSkipped: skippedSmsbat(after),
        delivered: [...before, ...after, ...steady].filter((r) => r.result.status === 'delivered').length,
      };
    }

    log('provider health: recovery…');
    await reset();
    sim.setOutage('smsbat', 'errors');
    await (
      await detect(queues.A, options.flows, 60_000)
    ).first;
    sim.setOutage('smsbat', 'healthy');
    const healthyAt = Date.now();
    const recovery: Run[] = [];
    let recoveredS = NaN;
    // One flow a second; recovered once 10 flows in a row (≥ 90 %) used SMSBAT.
    while (Date.now() - healthyAt < 4 * 60_000) {
      const tick = sleep(1000);
      recovery.push(await flow(queues.A));
      const last = recovery.slice(-10);
      if (last.length === 10 && last.filter((r) => r.result.deliveredBy?.channel === 'smsbat').length >= 9) {
        recoveredS = (last[0].startedAt - healthyAt) / 1000;
        break;
      }
      await tick;
    }
    sections['health: recovery'] = {
      recoveredAfterS: recoveredS,
      flows: recovery.length,
      viaSmsbat: recovery.filter((r) => r.result.deliveredBy?.channel === 'smsbat').length,
    };

    log(`provider health: noise, ${options.noiseFlows} flows…`);
    await reset();
    sim.setOutage('smsbat', 'noise');
    const noise: Run[] = [];
    for (let i = 0; i < options.noiseFlows; i += options.flows) {
      noise.push(...(await wave(Math.min(options.flows, options.noiseFlows - i))));
    }
    await Promise.all(healths.map((h) => h.flush()));
    sections['health: noise'] = {
      flows: noise.length,
      stepsSkipped: skippedSmsbat(noise),
      stateChanges: changes.filter((c) => c.event === 'provider_health').length,
      viaSmsbat: noise.filter((r) => r.result.deliveredBy?.channel === 'smsbat').length,
    };

    log('provider health: two workers and one receiver…');
    await reset();
    sim.setOutage('smsbat', 'errors');
    const learned = await detect(queues.A, options.flows, 60_000);
    // B reads the shared states at most every cacheMs.
    await sleep(operator.policy.cacheMs);
    const onB = await wave(options.flows, queues.B);
    await learned.first;
    sections['health: two workers'] = {
      detectedOnAAfterS: learned.detectedS,
      flowsOnB: onB.length,
      flowsOnBTriedSmsbat: triedSmsbat(onB),
      onBP50Ratio: p50(onB) / healthyP50,
    };
    await reset();
    return sections;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The issue's targets, from the figures above. */
export function healthTargets(
  s: Record<string, Figures>,
): { name: string; value: number; target: string; met: boolean }[] {
  const targets = [];
  for (const name of ['5xx', 'hang', 'silent']) {
    const value = s[`health: ${name}`]?.afterDetectionRatio ?? NaN;
    targets.push({ name: `${name}: p50 after detection / healthy p50`, value, target: '≤ 2', met: value <= 2 });
    const steady = s[`health: ${name}`]?.steadyRatio ?? NaN;
    targets.push({
      name: `${name}: the same, once the first wave drained (equal load)`,
      value: steady,
      target: '≤ 2',
      met: steady <= 2,
    });
  }
  const recovered = s['health: recovery']?.recoveredAfterS ?? NaN;
  targets.push({
    name: 'recovery: ≥ 90 % of new flows via SMSBAT after (s)',
    value: recovered,
    target: '≤ 120',
    met: recovered <= 120,
  });
  const skipped = s['health: noise']?.stepsSkipped ?? NaN;
  targets.push({ name: 'noise: steps skipped', value: skipped, target: '0', met: skipped === 0 });
  const onB = s['health: two workers']?.flowsOnBTriedSmsbat ?? NaN;
  targets.push({ name: 'two workers: B flows that tried SMSBAT', value: onB, target: '0', met: onB === 0 });
  return targets;
}

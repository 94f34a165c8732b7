import { randomUUID } from 'node:crypto';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { type Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { ProviderHealth } from '../../src/health/health';
import { MemoryHealthData } from '../../src/health/memory';
import { type HealthPolicy } from '../../src/health/policy';
import { openReceiptIndex } from '../../src/receipts/open';
import { type ReceiptIndex } from '../../src/receipts/types';
import { statusQuery } from '../../src/shared/messages';
import { type DeliveryResult } from '../../src/shared/types';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { freePort } from '../../src/testing/dev-server';
import { createLocalEnvironment } from '../../src/testing/environment';
import { WebhookReceiver } from '../../src/webhooks/receiver';
import { smsbatWebhookUrl } from '../../src/webhooks/urls';
import { createCascadeWorker } from '../../src/worker/create-worker';
import { deliverMessage } from '../../src/workflows';
import { HARNESS_WEBHOOK_TOKEN, simEnv, uniqueId, uniquePhone } from '../support/cascade';
import { waitFor } from '../support/wait';

/**
 * Flows route around an unhealthy provider: the product's worker and receiver on the dev server
 * and the simulator, sharing one health store (as processes share the receipt index's database).
 */
// Flows here wait on two providers, receipts and worker restarts: on a busy machine a test can
// outlast jest's default 60 s without anything being wrong (they wait on conditions, not times).
jest.setTimeout(180_000);

describe('routing by provider health', () => {
  let env: TestWorkflowEnvironment;
  let sim: Simulator;
  let receipts: ReceiptIndex;
  let receiver: WebhookReceiver;
  let publicUrl: string;
  const data = new MemoryHealthData();
  const running: { worker: Worker; done: Promise<void>; close(): Promise<void> }[] = [];
  const healths: ProviderHealth[] = [];
  const quiet = () => undefined;

  beforeAll(async () => {
    env = await createLocalEnvironment();
    sim = await startSimulator({ deliveryDelayMs: 0 });
    receipts = await openReceiptIndex('memory:');
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    // The receiver counts receipts in the same store the workers read.
    const receiverHealth = new ProviderHealth(data.open(), { log: quiet });
    healths.push(receiverHealth);
    receiver = await new WebhookReceiver({
      client: env.client,
      publicUrl,
      smsbatToken: HARNESS_WEBHOOK_TOKEN,
      receipts,
      health: receiverHealth,
      reachApiKey: loadConfig(simEnv(sim)).reach!.apiKey,
    }).start(port);
    sim.setSmsbatWebhookUrl(smsbatWebhookUrl(publicUrl, HARNESS_WEBHOOK_TOKEN));
  });
  afterAll(async () => {
    for (const w of running.splice(0)) await stop(w);
    for (const h of healths) await h.close();
    await receiver?.close();
    await sim?.close();
    await receipts?.close();
    await env?.teardown();
  });

  async function startWorker(taskQueue: string, policy: Partial<HealthPolicy> = {}) {
    const health = new ProviderHealth(data.open(), { policy, log: quiet });
    healths.push(health);
    const config = loadConfig({
      ...simEnv(sim, { CASCADE_PUBLIC_WEBHOOK_URL: publicUrl, CASCADE_SMSBAT_WEBHOOK_TOKEN: HARNESS_WEBHOOK_TOKEN }),
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
    const { worker, close } = await createCascadeWorker({
      config,
      connection: env.nativeConnection,
      plugin: { receiptIndex: receipts, health, limits: false },
      worker: { taskQueue, workflowsPath: require.resolve('../support/test-workflows') },
    });
    const w = { worker, done: worker.run(), close, health };
    running.push(w);
    return w;
  }

  async function stop(w: { worker: Worker; done: Promise<void>; close(): Promise<void> }) {
    w.worker.shutdown();
    await w.done;
    await w.close();
  }

  function start(taskQueue: string, phone: string, steps: ('smsbat' | 'reach')[] = ['smsbat', 'reach']) {
    return env.client.workflow.start(deliverMessage, {
      taskQueue,
      workflowId: `deliver:${uniqueId('health')}`,
      args: [
        {
          trackingId: uniqueId('health'),
          recipient: { phone },
          text: 'Your order has shipped',
          steps: steps.map((channel) =>
            channel === 'smsbat'
              ? { channel, fromName: 'Shop', deliveryTimeout: '1m' }
              : { channel, src: 'Shop', deliveryTimeout: '1m' },
          ),
        },
      ],
    });
  }

  const sentTo = (provider: 'smsbat' | 'reach', phone: string) =>
    sim.requests(provider).filter((r) => r.method === 'POST' && r.rawBody.includes(phone.slice(1)));

  /** Every payload of a history, decoded (payloads are stored in clear in these tests). */
  async function historyText(workflowId: string): Promise<string> {
    const { events } = await env.client.workflow.getHandle(workflowId).fetchHistory();
    // Payload data comes back base64-encoded.
    return JSON.stringify(events, (k, v: unknown) =>
      k === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v,
    );
  }

  afterEach(async () => {
    sim.reset();
    sim.setSmsbatWebhookUrl(smsbatWebhookUrl(publicUrl, HARNESS_WEBHOOK_TOKEN));
    for (const key of ['smsbat', 'smsbat/standard', 'smsbat/standard/+380', 'reach'])
      await healths[0].force(key, 'auto', 'test');
  });

  test('a 5xx outage opens the breaker after a few flows; later flows skip the step at once, in the result and the history', async () => {
    const taskQueue = `health-${randomUUID()}`;
    const w = await startWorker(taskQueue);
    sim.setOutage('smsbat', 'errors');
    const first = await Promise.all(Array.from({ length: 10 }, () => start(taskQueue, uniquePhone())));
    const firstResults = await Promise.all(first.map((h) => h.result()));
    expect(firstResults.map((r) => r.deliveredBy?.channel)).toEqual(Array(10).fill('reach'));
    // The flows that met the outage first paid for it; once detected, their retries stopped.
    expect(sim.requests('smsbat').length).toBeLessThan(10 * 6);

    const phone = uniquePhone();
    const later = await start(taskQueue, phone);
    const result: DeliveryResult = await later.result();
    expect(result.attempts[0]).toMatchObject({
      channel: 'smsbat',
      status: 'skipped',
      skipped: { reason: 'provider unhealthy', state: 'open' },
    });
    expect(result).toMatchObject({ status: 'delivered', deliveredBy: { channel: 'reach' } });
    expect(sentTo('smsbat', phone)).toHaveLength(0);
    expect(sentTo('reach', phone)).toHaveLength(1);
    expect(await historyText(later.workflowId)).toContain('provider unhealthy');
    expect(w.health.metrics().skippedSteps.smsbat).toBeGreaterThanOrEqual(1);
  });

  test('the last usable step of a chain is never skipped for health alone', async () => {
    const taskQueue = `health-${randomUUID()}`;
    const w = await startWorker(taskQueue);
    await w.health.force('smsbat', 'open', 'test');
    const phone = uniquePhone();
    const result = await (await start(taskQueue, phone, ['reach', 'smsbat'])).result();
    // reach delivers first; a chain whose only step is unhealthy still sends.
    expect(result.deliveredBy?.channel).toBe('reach');
    const alone = uniquePhone();
    const onlySmsbat = await (await start(taskQueue, alone, ['smsbat'])).result();
    expect(onlySmsbat).toMatchObject({ status: 'delivered', deliveredBy: { channel: 'smsbat' } });
    expect(sentTo('smsbat', alone)).toHaveLength(1);
  });

  test('a skip decided before a worker restart stands after it, whatever health says then', async () => {
    const taskQueue = `health-${randomUUID()}`;
    const before = await startWorker(taskQueue);
    await before.health.force('smsbat', 'open', 'test');
    const phone = uniquePhone();
    // Reach holds the message until the test settles it: the flow waits on the second step.
    sim.script({ recipient: phone, provider: 'reach', outcome: { kind: 'pending' }, receipt: 'withhold' });
    const handle = await start(taskQueue, phone);
    await waitFor(async () => sentTo('reach', phone).length === 1);
    await stop(running.splice(running.indexOf(before), 1)[0]);

    await before.health.force('smsbat', 'closed', 'test');
    await startWorker(taskQueue);
    const id = sim.messages('reach').find((m) => m.recipient === phone)!.messageId;
    sim.settle('reach', id, 'delivered');
    const result = await handle.result();
    expect(result.attempts[0]).toMatchObject({ channel: 'smsbat', status: 'skipped' });
    expect(result.deliveredBy?.channel).toBe('reach');
    expect(sentTo('smsbat', phone)).toHaveLength(0);
  });

  test('recovery: once the provider answers again, probes close the breaker and flows use it again', async () => {
    const taskQueue = `health-${randomUUID()}`;
    const w = await startWorker(taskQueue, { cooldownMs: 2000 });
    sim.setOutage('smsbat', 'errors');
    await Promise.all(
      (await Promise.all(Array.from({ length: 10 }, () => start(taskQueue, uniquePhone())))).map((h) => h.result()),
    );
    expect((await w.health.status()).find((s) => s.key === 'smsbat')?.state).not.toBe('closed');
    sim.setOutage('smsbat', 'healthy');
    // Flows keep coming; after the cooldown a bounded number of them probe, and their success closes it.
    const state = async () => (await w.health.status()).find((st) => st.key === 'smsbat')?.state;
    const results: DeliveryResult[] = [];
    await waitFor(async () => {
      results.push(await (await start(taskQueue, uniquePhone())).result());
      return (await state()) === 'closed';
    }, 60_000);
    expect(results.filter((r) => r.attempts[0].status === 'skipped').length).toBeGreaterThan(0);
    const after = await (await start(taskQueue, uniquePhone())).result();
    expect(after.deliveredBy?.channel).toBe('smsbat');
  });

  test('receipts the receiver forwards count in the shared health', async () => {
    const taskQueue = `health-${randomUUID()}`;
    const w = await startWorker(taskQueue);
    await (await start(taskQueue, uniquePhone(), ['smsbat'])).result();
    await Promise.all(healths.map((h) => h.flush()));
    const smsbat = (await w.health.status()).find((s) => s.key === 'smsbat');
    expect(smsbat?.recent.receipts).toBeGreaterThanOrEqual(1);
    expect(smsbat?.recent.pushedSends).toBeGreaterThanOrEqual(1);
  });

  test('a receipt whose flow already ended still counts: a code verified before its receipt is not silence', async () => {
    const taskQueue = `health-${randomUUID()}`;
    await startWorker(taskQueue);
    const phone = uniquePhone();
    sim.script({ provider: 'smsbat', recipient: phone, outcome: { kind: 'pending' } });
    const handle = await start(taskQueue, phone, ['smsbat']);
    await waitFor(async () => (await handle.query(statusQuery)).phase === 'waiting_for_receipt');
    // The flow ends before its receipt comes, as an OTP flow does once its code is verified.
    await handle.terminate('ended before its receipt');
    const counted = jest.spyOn(healths[0], 'receipt');
    try {
      const [message] = sim.messages('smsbat').filter((m) => m.recipient === phone);
      expect(sim.settle('smsbat', message.messageId, 'delivered')).toBe(true);
      await waitFor(() => counted.mock.calls.length > 0);
      expect(counted.mock.calls).toEqual([['smsbat', 'delivered']]);
    } finally {
      counted.mockRestore();
    }
  });
});

import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { MemoryReceiptIndex } from '../../src/receipts/memory';
import { createLocalEnvironment } from '../../src/testing/environment';
import { WebhookReceiver } from '../../src/webhooks/receiver';

const TOKEN = 'unknown-receipts-token-5f0c1a9e2b7d';
const METRICS = 'metrics-token-8d2e4c6a0b1f3e5d7c9a';
const MAX_PARKED = 40;

/**
 * What somebody who knows the SMSBAT webhook token can cost by posting receipts for invented
 * message ids: no workflow each (they wait in the receipt index's bounded park), a 503 once the
 * park is full, and a 400 naming the field for ids and statuses no provider sends.
 */
describe('receipts for unknown message ids (token-valid flood)', () => {
  let env: TestWorkflowEnvironment;
  let receiver: WebhookReceiver;
  let receipts: MemoryReceiptIndex;
  // Every call the receiver makes to Temporal that could start a workflow or wake one.
  const calls: string[] = [];
  const counter: WorkflowClientInterceptor = {
    start: (input, next) => (calls.push(`start ${input.workflowType}`), next(input)),
    signalWithStart: (input, next) => (calls.push(`signalWithStart ${input.workflowType}`), next(input)),
    signal: (input, next) => {
      calls.push(`signal ${input.signalName}`);
      if (failNextSignal) {
        failNextSignal = false;
        throw new Error('Temporal unavailable (injected)');
      }
      return next(input);
    },
  };
  let failNextSignal = false;

  beforeAll(async () => {
    env = await createLocalEnvironment();
    receipts = new MemoryReceiptIndex({ limits: { maxParked: MAX_PARKED } });
    const client = new Client({ connection: env.connection, interceptors: { workflow: [counter] } });
    receiver = await new WebhookReceiver({
      client,
      publicUrl: 'http://127.0.0.1',
      smsbatToken: TOKEN,
      receipts,
      metricsToken: METRICS,
    }).start(0);
  });
  afterAll(async () => {
    await receiver?.close();
    await env?.teardown();
  });

  const post = async (body: unknown) => {
    const res = await request(`${receiver.url}/webhooks/smsbat/${TOKEN}`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    return {
      status: res.statusCode,
      retryAfter: res.headers['retry-after'],
      json: (await res.body.json()) as Record<string, unknown>,
    };
  };
  const receipt = (messageId: string, deliverystatus = 'delivered') => ({
    messageId,
    deliverystatus,
    timestamp: '2025-01-23T10:30:00Z',
    cost: 0.05,
  });

  test('park up to the cap, then 503 with Retry-After; not one workflow started or signalled', async () => {
    const answers: Awaited<ReturnType<typeof post>>[] = [];
    const ids = Array.from({ length: MAX_PARKED * 5 }, () => randomUUID());
    for (let i = 0; i < ids.length; i += 20) {
      answers.push(...(await Promise.all(ids.slice(i, i + 20).map((id) => post(receipt(id))))));
    }
    const parked = answers.filter((a) => a.status === 200);
    const full = answers.filter((a) => a.status === 503);
    expect(parked).toHaveLength(MAX_PARKED);
    expect(parked.every((a) => a.json.result === 'parked')).toBe(true);
    expect(full).toHaveLength(ids.length - MAX_PARKED);
    expect(full.every((a) => a.retryAfter === '60')).toBe(true);

    // A parked id may still get more receipts (its send's answer is on its way).
    const firstParked = ids[answers.findIndex((a) => a.status === 200)];
    expect((await post(receipt(firstParked, 'sent'))).status).toBe(200);

    expect(await receipts.stats()).toMatchObject({
      parked: MAX_PARKED + 1,
      claimed: 0,
      refusedFull: ids.length - MAX_PARKED,
    });
    const metrics = await request(`${receiver.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
    expect(metrics.statusCode).toBe(200);
    expect(await metrics.body.json()).toMatchObject({
      receipts: { 'smsbat.parked': MAX_PARKED + 1, 'smsbat.park_full': ids.length - MAX_PARKED },
      index: { parked: MAX_PARKED + 1, refusedFull: ids.length - MAX_PARKED },
    });
    expect(calls).toEqual([]);
    // The counter does see what the receiver does: a claimed id's receipt is signalled to its flow.
    await receipts.claim('smsbat', [{ messageId: 'claimed-1', owner: { kind: 'flow', workflowId: 'deliver:nobody' } }]);
    expect((await post(receipt('claimed-1'))).status).toBe(200);
    expect(calls).toEqual(['signal receipt']);
  });

  test('a message id or status no provider sends is a 400 naming the field, never parked', async () => {
    const parkedBefore = (await receipts.stats()).parked;
    const longId = await post(receipt('m'.repeat(129)));
    expect(longId.status).toBe(400);
    expect(longId.json.field).toBe('messageId');
    const spaced = await post(receipt('id with spaces'));
    expect(spaced.status).toBe(400);
    expect(spaced.json.field).toBe('messageId');
    const longStatus = await post(receipt(randomUUID(), 'x'.repeat(200)));
    expect(longStatus.status).toBe(400);
    expect(longStatus.json.field).toBe('deliverystatus');
    expect((await receipts.stats()).parked).toBe(parkedBefore);
  });
  test('a receipt Temporal did not take is answered 503, and the provider’s retry is forwarded, not dropped as a duplicate', async () => {
    await receipts.claim('smsbat', [
      { messageId: 'retried-1', owner: { kind: 'flow', workflowId: 'deliver:nobody-2' } },
    ]);
    calls.length = 0;
    failNextSignal = true;
    const first = await post(receipt('retried-1'));
    expect(first.status).toBe(503);
    const retry = await post(receipt('retried-1'));
    expect(retry.status).toBe(200);
    expect(retry.json.result).not.toBe('duplicate');
    expect(calls).toEqual(['signal receipt', 'signal receipt']);
    // Once it is in Temporal, a further copy is the duplicate.
    expect((await post(receipt('retried-1'))).json.result).toBe('duplicate');
  });
});

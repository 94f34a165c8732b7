import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { request } from 'undici';
import { computeReachSignature } from '../../src/providers/reach/signature';
import { statusQuery } from '../../src/shared/messages';
import { type DeliverMessageInput } from '../../src/shared/schemas';
import { freePort } from '../../src/testing/dev-server';
import { createLocalEnvironment } from '../../src/testing/environment';
import { WebhookReceiver } from '../../src/webhooks/receiver';
import { reachCallbackUrl, smsbatWebhookUrl } from '../../src/webhooks/urls';
import { deliverMessage } from '../../src/workflows';
import { startHarness, uniqueId, uniquePhone, type Harness } from '../support/cascade';

const TOKEN = 'webhook-token-0123456789abcdef';

describe('webhook receiver (dev server, simulator posting real webhooks)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let receiver: WebhookReceiver;
  const logged: Record<string, unknown>[] = [];

  beforeAll(async () => {
    env = await createLocalEnvironment();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    h = await startHarness(env, {
      env: { CASCADE_PUBLIC_WEBHOOK_URL: publicUrl, CASCADE_SMSBAT_WEBHOOK_TOKEN: TOKEN },
    });
    receiver = await new WebhookReceiver({
      client: env.client,
      publicUrl,
      smsbatToken: TOKEN,
      receipts: h.receipts,
      reachApiKey: h.config.reach!.apiKey,
      log: (e) => logged.push(e),
    }).start(port);
    h.sim.setSmsbatWebhookUrl(smsbatWebhookUrl(publicUrl, TOKEN));
  });
  afterAll(async () => {
    await receiver?.close();
    await h?.close();
    await env?.teardown();
  });

  function input(channel: 'smsbat' | 'reach', phone = uniquePhone()): DeliverMessageInput {
    return {
      trackingId: uniqueId('hook'),
      recipient: { phone },
      text: 'Your code is ready',
      steps: [
        channel === 'smsbat'
          ? { channel, fromName: 'Shop', deliveryTimeout: '1m' }
          : { channel, src: 'Shop', deliveryTimeout: '1m' },
      ],
    };
  }

  async function deliver(i: DeliverMessageInput) {
    const handle = await env.client.workflow.start(deliverMessage, {
      args: [i],
      workflowId: `deliver:${i.trackingId}`,
      taskQueue: h.taskQueue,
    });
    const started = Date.now();
    const result = await handle.result();
    return { handle, result, ms: Date.now() - started };
  }

  const polls = (provider: 'smsbat' | 'reach', id: string) =>
    h.sim
      .requests(provider)
      .filter((r) => r.method === 'GET' && (r.path.includes(id) || r.query.get('messageId') === id));

  test('an SMSBAT webhook completes the waiting flow without any poll', async () => {
    const i = input('smsbat');
    h.sim.script({ recipient: i.recipient.phone, provider: 'smsbat', outcome: { kind: 'deliver', afterMs: 300 } });
    const { result, ms } = await deliver(i);
    expect(result.status).toBe('delivered');
    expect(result.attempts[0].rawStatus).toBe('delivered');
    // The first safety-net poll would come after 5 s: none was needed.
    expect(polls('smsbat', result.attempts[0].providerMessageId!)).toHaveLength(0);
    console.log(`SMSBAT webhook → completion: flow took ${ms} ms`);
  });

  test('a signed Reach status callback completes the waiting flow without any poll', async () => {
    const i = input('reach');
    h.sim.script({ recipient: i.recipient.phone, provider: 'reach', outcome: { kind: 'deliver', afterMs: 300 } });
    const { result } = await deliver(i);
    expect(result.status).toBe('delivered');
    expect(polls('reach', result.attempts[0].providerMessageId!)).toHaveLength(0);
  });

  test('race: receipts that arrive before the workflow knows the message id still complete it', async () => {
    // Final at once: the provider's receipt is posted before its answer to the send returns.
    for (const channel of ['smsbat', 'reach'] as const) {
      const i = input(channel);
      h.sim.script({ recipient: i.recipient.phone, provider: channel, outcome: { kind: 'deliver', afterMs: 0 } });
      const { result } = await deliver(i);
      expect(result.status).toBe('delivered');
      expect(polls(channel, result.attempts[0].providerMessageId!)).toHaveLength(0);
    }
  });

  test('a forged Reach signature is refused with 403 and changes nothing', async () => {
    const i = input('reach');
    h.sim.script({
      recipient: i.recipient.phone,
      provider: 'reach',
      outcome: { kind: 'pending' },
      receipt: 'withhold',
    });
    const handle = await env.client.workflow.start(deliverMessage, {
      args: [i],
      workflowId: `deliver:${i.trackingId}`,
      taskQueue: h.taskQueue,
    });
    let messageId: string | undefined;
    for (let n = 0; n < 100 && !messageId; n++) {
      messageId = (await handle.query(statusQuery)).attempts[0]?.providerMessageId;
      if (!messageId) await new Promise((r) => setTimeout(r, 50));
    }
    const url = reachCallbackUrl(receiver.url, h.config.reach!.apiKey, handle.workflowId);
    const params = { messageId: messageId!, status: 'delivered', dest: i.recipient.phone!, src: 'Shop' };
    const forged = computeReachSignature('not-the-api-key', url, params);
    const res = await post(url, new URLSearchParams(params).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      'x-reach-signature': forged,
    });
    expect(res.status).toBe(403);
    const missing = await post(url, new URLSearchParams(params).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(missing.status).toBe(400);
    expect((await handle.query(statusQuery)).attempts[0].status).toBe('pending');

    // The genuine signature over the same request is accepted and settles the flow.
    const genuine = computeReachSignature(h.config.reach!.apiKey, url, params);
    const ok = await post(url, new URLSearchParams(params).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      'x-reach-signature': genuine,
    });
    expect(ok.status).toBe(200);
    expect((await handle.result()).status).toBe('delivered');
  });

  test('bad SMSBAT tokens, malformed bodies and oversized bodies are refused; unknown ids acknowledged', async () => {
    const body = JSON.stringify({
      messageId: 'no-such-message',
      deliverystatus: 'delivered',
      timestamp: '2025-01-23T10:30:00Z',
      cost: 0.05,
    });
    const json = { 'content-type': 'application/json' };
    expect((await post(`${receiver.url}/webhooks/smsbat/wrong-token-0123456789`, body, json)).status).toBe(401);
    expect((await post(`${receiver.url}/webhooks/smsbat`, body, json)).status).toBe(401);
    expect((await post(`${receiver.url}/webhooks/smsbat`, body, { ...json, 'x-webhook-token': TOKEN })).status).toBe(
      200,
    );
    expect((await post(`${receiver.url}/webhooks/smsbat/${TOKEN}`, '{not json', json)).status).toBe(400);
    expect(
      (await post(`${receiver.url}/webhooks/smsbat/${TOKEN}`, JSON.stringify({ messageId: 5 }), json)).status,
    ).toBe(400);
    expect((await post(`${receiver.url}/webhooks/smsbat/${TOKEN}`, 'x'.repeat(100_000), json)).status).toBe(413);
    expect((await post(`${receiver.url}/webhooks/smsbat/${TOKEN}`, body, json)).status).toBe(200);
    // Still standing, and ready.
    expect((await request(`${receiver.url}/healthz`)).statusCode).toBe(200);
    expect((await request(`${receiver.url}/readyz`)).statusCode).toBe(200);
  });

  test('request logs carry no token, body or phone number', () => {
    const text = JSON.stringify(logged);
    expect(logged.length).toBeGreaterThan(0);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toMatch(/\+380\d{9}/);
  });
});

async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await request(url, { method: 'POST', body, headers });
  const text = await res.body.text();
  return { status: res.statusCode, text };
}

import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { request } from 'undici';
import { computeReachSignature } from '../../src/providers/reach/signature';
import { createLocalEnvironment } from '../../src/testing/environment';
import { reachCallbackUrl } from '../../src/webhooks/urls';
import { deliverMessage } from '../../src/workflows';
import { startHarness, uniqueId, uniquePhone, type Harness } from '../support/cascade';

/**
 * Reach signs the callback URL and its parameters joined without separators, so characters can be
 * moved from the URL into a parameter name and the signature still validates. The tag in the URL
 * path pins the workflow id; and a signed callback replayed any number of times reaches its flow
 * once.
 */
describe('Reach callbacks: pinned to their flow, replays cost nothing (dev server, receiver)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let apiKey: string;
  let publicUrl: string;

  beforeAll(async () => {
    env = await createLocalEnvironment();
    h = await startHarness(env, { receiver: true });
    apiKey = h.config.reach!.apiKey;
    publicUrl = h.config.webhooks.publicUrl!;
  });
  afterAll(async () => {
    await h?.close();
    await env?.teardown();
  });

  const post = async (url: string, params: Record<string, string>) => {
    const res = await request(url, {
      method: 'POST',
      body: new URLSearchParams(params).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-reach-signature': computeReachSignature(apiKey, url, params),
      },
    });
    return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
  };

  test('a callback signed for flow …-12 cannot be re-aimed at flow …-1 by moving characters into a name', async () => {
    const signedFor = reachCallbackUrl(publicUrl, apiKey, 'deliver:order-12');
    const params = { messageId: 'MID0001', status: 'delivered', apiVersion: '1' };
    const signature = computeReachSignature(apiKey, signedFor, params);
    // The same signed string: "…wf=deliver%3Aorder-1" + "2apiVersion1…" (a name sorts first).
    const reAimed = signedFor.replace(/-12$/, '-1');
    const moved = { '2apiVersion': '1', messageId: 'MID0001', status: 'delivered' };
    expect(computeReachSignature(apiKey, reAimed, moved)).toBe(signature);
    const res = await request(reAimed, {
      method: 'POST',
      body: new URLSearchParams(moved).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-reach-signature': signature },
    });
    expect(res.statusCode).toBe(403);
    expect(JSON.stringify(await res.body.json())).toMatch(/not pinned to its workflow/);
  });

  test('a settled callback replayed 200 times signals its flow once; the history stays small', async () => {
    const phone = uniquePhone();
    h.sim.script({ recipient: phone, provider: 'reach', outcome: { kind: 'pending' }, receipt: 'withhold' });
    const trackingId = uniqueId('replay');
    const handle = await env.client.workflow.start(deliverMessage, {
      args: [
        {
          trackingId,
          recipient: { phone },
          text: 'Hello',
          steps: [{ channel: 'reach', src: 'Shop', deliveryTimeout: '5m' }],
        },
      ],
      workflowId: `deliver:${trackingId}`,
      taskQueue: h.taskQueue,
    });
    let sent;
    for (let i = 0; i < 200 && !(sent = h.sim.messages('reach').find((m) => m.recipient === phone)); i++)
      await new Promise((r) => setTimeout(r, 50));
    const callbackUrl = String(sent!.fields.statusCallback);
    expect(callbackUrl).toContain('/webhooks/reach/');
    const params = { messageId: sent!.messageId, status: 'delivered', dest: phone };
    const answers = [];
    for (let i = 0; i < 200; i += 20) {
      answers.push(...(await Promise.all(Array.from({ length: 20 }, () => post(callbackUrl, params)))));
    }
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect((await handle.result()).status).toBe('delivered');
    const events = (await handle.fetchHistory()).events!;
    const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes);
    expect(signals).toHaveLength(1);
    expect(events.length).toBeLessThan(30);
  });

  test('an unknown status word replayed 500 times reaches its flow once; 20 invented words at most 8 times', async () => {
    const phone = uniquePhone();
    h.sim.script({ recipient: phone, provider: 'reach', outcome: { kind: 'pending' }, receipt: 'withhold' });
    const trackingId = uniqueId('weird');
    const handle = await env.client.workflow.start(deliverMessage, {
      args: [
        {
          trackingId,
          recipient: { phone },
          text: 'Hello',
          steps: [{ channel: 'reach', src: 'Shop', deliveryTimeout: '5m' }],
        },
      ],
      workflowId: `deliver:${trackingId}`,
      taskQueue: h.taskQueue,
    });
    let sent;
    for (let i = 0; i < 200 && !(sent = h.sim.messages('reach').find((m) => m.recipient === phone)); i++)
      await new Promise((r) => setTimeout(r, 50));
    const callbackUrl = String(sent!.fields.statusCallback);
    const signals = async () =>
      (await handle.fetchHistory()).events!.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    // Signals that arrive during a workflow task reach the history when it completes.
    const signalsWhenSettled = async (atLeast: number) => {
      for (let i = 0; i < 200 && (await signals()) < atLeast; i++) await new Promise((r) => setTimeout(r, 50));
      return signals();
    };
    // The send is recorded (its answer in history) before counting.
    for (let i = 0; i < 400; i++) {
      const progress = await handle.query('status').catch(() => undefined);
      if ((progress as { attempts?: { providerMessageId?: string }[] })?.attempts?.[0]?.providerMessageId) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const before = (await handle.fetchHistory()).events!.length;

    const weird = { messageId: sent!.messageId, status: 'weird-status', dest: phone };
    for (let i = 0; i < 500; i += 25) {
      const answers = await Promise.all(Array.from({ length: 25 }, () => post(callbackUrl, weird)));
      expect(answers.every((a) => a.status === 200)).toBe(true);
    }
    expect(await signalsWhenSettled(1)).toBe(1);
    // A signal and the workflow task it wakes (and what the flow itself was finishing): a bounded
    // handful, not one event per replay (500 of them before).
    expect((await handle.fetchHistory()).events!.length - before).toBeLessThanOrEqual(10);

    // Words a receipt source invents (the first counted above): at most WORDS_PER_MESSAGE in all.
    for (let w = 0; w < 20; w++) {
      expect((await post(callbackUrl, { ...weird, status: `invented-${w}` })).status).toBe(200);
    }
    expect(await signalsWhenSettled(8)).toBe(8);
    await handle.signal('cancel', {});
    expect((await handle.result()).status).toBe('canceled');
    expect((await handle.fetchHistory()).events!.length).toBeLessThan(before + 40);
  });
});

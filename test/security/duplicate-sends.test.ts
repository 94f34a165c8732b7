import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { request } from 'undici';
import { CascadeClient, CascadeResendRefusedError } from '../../src/client';
import { stateQuery } from '../../src/shared/messages';
import { type OtpInput } from '../../src/shared/schemas';

type Step = OtpInput['steps'][number];
import { type OtpState } from '../../src/shared/types';
import { createLocalEnvironment } from '../../src/testing/environment';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { startHarness, TEST_OTP_SECRET, uniqueId, uniquePhone, type Harness } from '../support/cascade';
import { startServer } from '../support/servers';

/**
 * A message a provider accepted is never sent again because a workflow task failed or was retried
 * (issue 22, 1). Parallel resend updates make workflow tasks fail ("Task not found when
 * completing"); a send that was a local activity re-ran with each. Every count here is what the
 * simulated provider received, set against the sends the flow records.
 */
describe('duplicate sends (dev server, simulator over real sockets)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let cascade: CascadeClient;
  let sim: Simulator;
  /** Provider requests whose answer the proxy drops after the provider took them. */
  const dropAnswer = { reach: 0, smsbat: 0 };
  let proxy: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    env = await createLocalEnvironment();
    sim = await startSimulator({ deliveryDelayMs: 0 });
    // A proxy in front of the providers: the request reaches the provider, the answer is lost
    // on the way back (a network cut, or a worker that died right after the provider accepted).
    proxy = await startServer((req, body, res) => {
      const target = `${sim.url}${req.url}`;
      const provider = /\/rest\/messaging\/v1\/create/.test(req.url ?? '')
        ? 'reach'
        : /send_message/.test(req.url ?? '')
          ? 'smsbat'
          : undefined;
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)),
      ) as Record<string, string>;
      void request(target, { method: req.method as 'GET', headers, body: req.method === 'GET' ? undefined : body })
        .then(async (answer) => {
          const text = await answer.body.text();
          if (provider && dropAnswer[provider] > 0) {
            dropAnswer[provider]--;
            return void req.socket.destroy();
          }
          res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'text/plain') });
          res.end(text);
        })
        .catch(() => req.socket.destroy());
    });
    h = await startHarness(env, {
      receiver: true,
      sim: {},
      env: { REACH_BASE_URL: proxy.url, SMSBAT_BASE_URL: proxy.url },
    });
    cascade = new CascadeClient({ client: env.client, taskQueue: h.taskQueue, otpSecret: TEST_OTP_SECRET });
  });
  afterAll(async () => {
    await h?.close();
    await proxy?.close();
    await sim?.close();
    await env?.teardown();
  });

  const received = (phone: string) => sim.messages().filter((m) => m.recipient === phone).length;

  function otp(step: Step, overrides: Partial<OtpInput> = {}): OtpInput {
    return {
      trackingId: uniqueId('dup'),
      recipient: { phone: uniquePhone() },
      steps: [step],
      template: 'Your code is {code}',
      ...overrides,
    };
  }

  /** Waits until every send the flow recorded has its provider's answer, then reads the flow. */
  async function settledState(id: string): Promise<OtpState> {
    const handle = env.client.workflow.getHandle(id);
    for (let i = 0; i < 600; i++) {
      const state = await handle.query(stateQuery);
      const attempts = state.delivery.attempts;
      if (state.sends > 0 && attempts.length >= state.sends && attempts.every((a) => a.status !== 'sending'))
        return state;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('sends did not settle');
  }

  async function parallelResends(input: OtpInput, calls: number, options: { afterCooldown?: boolean } = {}) {
    const { id } = await cascade.startOtp(input);
    const handle = env.client.workflow.getHandle(id);
    const phone = input.recipient.phone!;
    const first = await settledState(id);
    if (options.afterCooldown) {
      while (Date.now() <= first.nextResendAt) await new Promise((r) => setTimeout(r, 50));
    }
    const outcomes = await Promise.allSettled(Array.from({ length: calls }, () => cascade.resendOtp(id)));
    for (const o of outcomes) {
      if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(CascadeResendRefusedError);
    }
    const state = await settledState(id);
    // Once the flow has closed, no workflow task of it can run (or re-run) a send any more.
    await cascade.cancel(id);
    await handle.result();
    const results = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    return { state, accepted: results.length, results, received: received(phone) };
  }

  test('20 parallel resends (maxSends 3, no cooldown): SMSBAT receives exactly the 3 sends the flow records', async () => {
    const r = await parallelResends(
      otp({ channel: 'smsbat', fromName: 'MyApp' }, { maxSends: 3, resendCooldown: '0s' }),
      20,
    );
    expect(r.state.sends).toBe(3);
    expect(r.accepted).toBe(2);
    expect(r.received).toBe(3);
  });

  test('50 parallel resends (maxSends 10, no cooldown): Reach receives exactly the 10 sends the flow records', async () => {
    const r = await parallelResends(
      otp({ channel: 'reach', src: 'MyApp' }, { maxSends: 10, resendCooldown: '0s' }),
      50,
    );
    expect(r.state.sends).toBe(10);
    expect(r.accepted).toBe(9);
    expect(r.received).toBe(10);
  });

  test('50 parallel resends once the cooldown has passed: one accepted per cooldown, one message each', async () => {
    const r = await parallelResends(otp({ channel: 'smsbat', fromName: 'MyApp' }, { resendCooldown: '5s' }), 50, {
      afterCooldown: true,
    });
    // On a busy machine the 50 calls may outlast a cooldown: then each later acceptance is a full
    // cooldown (flow time) after the one before it, never two within one.
    expect(r.accepted).toBeGreaterThanOrEqual(1);
    const at = r.results.map((x) => x.nextResendAt).sort((a, b) => a - b);
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(5000);
    expect(r.state.sends).toBe(1 + r.accepted);
    expect(r.received).toBe(r.state.sends);
  });

  test('a send whose answer was lost after Reach accepted it is adopted on retry: one message', async () => {
    const input = otp({ channel: 'reach', src: 'MyApp' });
    dropAnswer.reach = 1;
    const { id } = await cascade.startOtp(input);
    const state = await settledState(id);
    expect(dropAnswer.reach).toBe(0);
    expect(state.delivery.attempts).toHaveLength(1);
    expect(state.delivery.attempts[0].providerMessageId).toBeDefined();
    expect(received(input.recipient.phone!)).toBe(1);
    await cascade.cancel(id);
  });

  test('SMSBAT offers no lookup: a lost answer is sent again with the same tracking id (its documented window)', async () => {
    const input = otp({ channel: 'smsbat', fromName: 'MyApp' });
    dropAnswer.smsbat = 1;
    const { id } = await cascade.startOtp(input);
    await settledState(id);
    const sent = sim.messages('smsbat').filter((m) => m.recipient === input.recipient.phone);
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((m) => m.fields.id)).size).toBe(1);
    await cascade.cancel(id);
  });
});

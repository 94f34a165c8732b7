import { randomUUID } from 'node:crypto';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { attemptTrackingId, CascadeClient } from '../../src/client';
import { TrackingIds } from '../../src/client/tracking';
import { loadConfig } from '../../src/config';
import { TrackingId } from '../../src/shared/schemas';
import { type DeliveryResult, type OtpResult } from '../../src/shared/types';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { createLocalEnvironment } from '../../src/testing/environment';
import { createCascadePlugin } from '../../src/worker/plugin';
import { simEnv, TEST_OTP_SECRET, uniqueId, uniquePhone } from '../support/cascade';

const HOUR = 3_600_000;

/** A client whose only flow closed `closedAgo` ms before `now` (or runs, or does not exist). */
function fakeClient(flow: 'none' | 'running' | { closedAgo: number }, now: number): Pick<Client, 'workflow'> {
  const describe = async () => {
    if (flow === 'none') throw new WorkflowNotFoundError('not found', 'deliver:x', undefined);
    if (flow === 'running') return { status: { name: 'RUNNING' }, runId: 'r1' };
    return { status: { name: 'COMPLETED' }, runId: 'r1', closeTime: new Date(now - flow.closedAgo) };
  };
  return { workflow: { getHandle: () => ({ describe }) } } as unknown as Pick<Client, 'workflow'>;
}

describe('tracking ids: idempotent while a flow runs and for its window after, a new flow after that', () => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  const plan = (flow: Parameters<typeof fakeClient>[0], kind: 'deliverMessage' | 'otpVerification') =>
    new TrackingIds(fakeClient(flow, now), {}, () => now).plan(kind, 'deliver:x');

  test('messages: the same flow while it runs and for 24 hours after it closed; a new one after', async () => {
    expect(await plan('none', 'deliverMessage')).toEqual({
      existing: false,
      key: 'deliver:x',
      reusePolicy: 'REJECT_DUPLICATE',
    });
    expect(await plan('running', 'deliverMessage')).toEqual({ existing: true });
    expect(await plan({ closedAgo: 23 * HOUR }, 'deliverMessage')).toEqual({ existing: true });
    expect(await plan({ closedAgo: 25 * HOUR }, 'deliverMessage')).toEqual({
      existing: false,
      key: 'deliver:x@after:r1',
      reusePolicy: 'ALLOW_DUPLICATE',
    });
  });

  test('OTP flows: the same flow while it runs only; any closed one makes way for a new login', async () => {
    // No window: no round trip of ours; Temporal's policies answer (a running flow is the same
    // flow through USE_EXISTING / an already-started error, a closed one makes way).
    expect(await plan('running', 'otpVerification')).toMatchObject({ existing: false, reusePolicy: 'ALLOW_DUPLICATE' });
    expect(await plan({ closedAgo: 1 }, 'otpVerification')).toMatchObject({ existing: false });
    const custom = new TrackingIds(fakeClient({ closedAgo: 60_000 }, now), { otpVerification: '5m' }, () => now);
    expect(await custom.plan('otpVerification', 'otp:x')).toEqual({ existing: true });
  });

  test('attemptTrackingId gives every attempt a valid id of its own', () => {
    const ids = new Set(Array.from({ length: 100 }, () => attemptTrackingId('login-42')));
    expect(ids.size).toBe(100);
    for (const id of ids) {
      expect(id.startsWith('login-42:')).toBe(true);
      expect(TrackingId.safeParse(id).success).toBe(true);
    }
  });
});

describe('tracking ids on a real server (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let sim: Simulator;
  let worker: Worker;
  let running: Promise<void>;
  let cascade: CascadeClient;
  const taskQueue = `tracking-${randomUUID()}`;

  beforeAll(async () => {
    env = await createLocalEnvironment();
    sim = await startSimulator({ deliveryDelayMs: 0, smtpPort: false });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      plugins: [createCascadePlugin({ config: loadConfig(simEnv(sim)) })],
      ...(process.env.TEMPORAL_CASCADE_TEST_BUNDLE
        ? { workflowBundle: { codePath: process.env.TEMPORAL_CASCADE_TEST_BUNDLE } }
        : {}),
    });
    running = worker.run();
    cascade = new CascadeClient({ client: env.client, taskQueue, otpSecret: TEST_OTP_SECRET });
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await sim?.close();
    await env?.teardown();
  });

  async function nthText(phone: string, nth: number): Promise<string> {
    for (let i = 0; i < 400; i++) {
      const text = sim.messages('smsbat').filter((m) => m.recipient === phone)[nth - 1]?.text;
      if (text) return text;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`message ${nth} never reached ${phone}`);
  }

  test("a user's next login with the same tracking id gets a new flow and a new code once the last one closed", async () => {
    const phone = uniquePhone();
    const login = {
      trackingId: uniqueId('login-42'),
      recipient: { phone },
      steps: [{ channel: 'smsbat' as const, fromName: 'MyApp' }],
      template: 'Your code is {code}',
    };
    const first = await cascade.startOtp(login);
    expect(first.started).toBe(true);
    // A retried request while the flow runs: the same flow, no second SMS.
    expect(await cascade.startOtp(login)).toMatchObject({ id: first.id, started: false });
    const code1 = /(\d{6})/.exec(await nthText(phone, 1))![1];
    expect((await cascade.verifyOtp(first.id, code1)).status).toBe('approved');
    expect(((await cascade.result(first.id)) as OtpResult).status).toBe('approved');
    const firstRun = (await env.client.workflow.getHandle(first.id).describe()).runId;

    // The next login: a new run of the same id, a new code that approves.
    expect(await cascade.startOtp(login)).toMatchObject({ id: first.id, started: true });
    const code2 = /(\d{6})/.exec(await nthText(phone, 2))![1];
    expect((await env.client.workflow.getHandle(first.id).describe()).runId).not.toBe(firstRun);
    expect((await cascade.verifyOtp(first.id, code2)).status).toBe('approved');
    expect(sim.messages('smsbat').filter((m) => m.recipient === phone)).toHaveLength(2);
  });

  test('a message keeps its tracking id for its window after it closed, then the id starts a new delivery', async () => {
    const phone = uniquePhone();
    const input = {
      trackingId: uniqueId('order'),
      recipient: { phone },
      text: 'Your parcel is on its way',
      steps: [{ channel: 'smsbat' as const, fromName: 'Shop' }],
    };
    const first = await cascade.sendMessage(input);
    expect(((await cascade.result(first.id)) as DeliveryResult).status).toBe('delivered');
    // Within the default 24-hour window: the same flow, nothing sent again.
    expect(await cascade.sendMessage(input)).toEqual({ id: first.id, started: false });
    expect(sim.messages('smsbat').filter((m) => m.recipient === phone)).toHaveLength(1);

    // A client whose window for messages is over at once: the id starts a new delivery.
    const noWindow = new CascadeClient({
      client: env.client,
      taskQueue,
      limits: false,
      idempotencyWindows: { deliverMessage: 0 },
    });
    expect(await noWindow.sendMessage(input)).toEqual({ id: first.id, started: true });
    expect(((await noWindow.result(first.id)) as DeliveryResult).status).toBe('delivered');
    expect(sim.messages('smsbat').filter((m) => m.recipient === phone)).toHaveLength(2);
  });
});

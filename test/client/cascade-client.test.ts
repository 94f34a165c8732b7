import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { CascadeClient, CascadeResendRefusedError, CascadeValidationError } from '../../src/client';
import { loadConfig } from '../../src/config';
import { createCascadePlugin } from '../../src/worker/plugin';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { createLocalEnvironment } from '../../src/testing/environment';
import { type DeliveryResult, type OtpResult } from '../../src/shared/types';
import { simEnv, TEST_OTP_SECRET, uniqueId, uniquePhone } from '../support/cascade';

describe('CascadeClient and the plugin (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let sim: Simulator;
  let worker: Worker;
  let running: Promise<void>;
  let cascade: CascadeClient;
  const taskQueue = `plugin-${randomUUID()}`;

  beforeAll(async () => {
    env = await createLocalEnvironment();
    sim = await startSimulator({ deliveryDelayMs: 0 });
    // A fresh worker built only with the plugin: its workflows, its activities, its config.
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      plugins: [createCascadePlugin({ config: loadConfig(simEnv(sim)) })],
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

  test('sendMessage delivers; a repeated start with the same tracking id does not send twice', async () => {
    const phone = uniquePhone();
    const input = {
      trackingId: uniqueId('order'),
      recipient: { phone },
      text: 'Your parcel is on its way',
      steps: [{ channel: 'smsbat' as const, fromName: 'Shop' }],
    };
    const first = await cascade.sendMessage(input);
    const again = await cascade.sendMessage(input);
    expect(first).toEqual({ id: `deliver:${input.trackingId}`, started: true });
    expect(again).toEqual({ id: first.id, started: false });

    const result = (await cascade.result(first.id)) as DeliveryResult;
    expect(result.status).toBe('delivered');
    expect(await cascade.sendMessage(input)).toEqual({ id: first.id, started: false });
    expect(sim.messages('smsbat').filter((m) => m.recipient === phone)).toHaveLength(1);

    const status = await cascade.getStatus(first.id);
    expect(status).toMatchObject({ kind: 'deliverMessage', execution: 'COMPLETED' });

    // Operators filter on typed search attributes, which are not encrypted: the phone is masked.
    const { typedSearchAttributes } = await env.client.workflow.getHandle(first.id).describe();
    const attrs = Object.fromEntries(typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
    expect(attrs).toMatchObject({
      CascadeFlowKind: 'deliverMessage',
      CascadeTrackingId: input.trackingId,
      CascadeStatus: 'delivered',
      CascadeChannel: 'smsbat',
      CascadeRecipient: `${phone.slice(0, 4)}${'*'.repeat(phone.length - 6)}${phone.slice(-2)}`,
    });
    expect(JSON.stringify(attrs)).not.toContain(phone);

    // The channel came with the start and the ended flow left its poll timer: neither costs an event.
    const { events } = await env.client.workflow.getHandle(first.id).fetchHistory();
    const types = events!.map((e) => e.eventType);
    // One upsert of ours (the final status); the SDK's own records the patch the flow took.
    const upserts = events!.flatMap((e) =>
      Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
    );
    expect(upserts.filter((k) => k !== 'TemporalChangeVersion')).toEqual(['CascadeStatus']);
    expect(types).not.toContain(temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_CANCELED);
  });

  test('startOtp → verifyOtp approves the code the user received', async () => {
    const phone = uniquePhone();
    const { id } = await cascade.startOtp({
      trackingId: uniqueId('login'),
      recipient: { phone },
      steps: [{ channel: 'reach', src: 'MyApp' }],
      template: '{code} is your code',
    });
    let text: string | undefined;
    for (let n = 0; n < 200 && !text; n++) {
      text = sim.messages('reach').find((m) => m.recipient === phone)?.text;
      if (!text) await new Promise((r) => setTimeout(r, 50));
    }
    const code = /^(\d{6})/.exec(text!)![1];

    await expect(cascade.resendOtp(id)).rejects.toBeInstanceOf(CascadeResendRefusedError);
    await expect(cascade.verifyOtp(id, '12ab')).rejects.toBeInstanceOf(CascadeValidationError);
    expect(await cascade.verifyOtp(id, code)).toEqual({ status: 'approved', attemptsLeft: 4 });
    expect(((await cascade.result(id)) as OtpResult).status).toBe('approved');
    // After the flow ended, verify answers how it ended instead of throwing: the code was used.
    expect(await cascade.verifyOtp(id, code)).toEqual({ status: 'expired', attemptsLeft: 0 });
  });

  test('a code is single-use: any verify after the approving one is expired; a retry of that call (same update id) is approved', async () => {
    const phone = uniquePhone();
    const { id } = await cascade.startOtp({
      trackingId: uniqueId('closed'),
      recipient: { phone },
      steps: [{ channel: 'reach', src: 'MyApp' }],
      template: '{code} is your code',
    });
    let text: string | undefined;
    for (let n = 0; n < 200 && !text; n++) {
      text = sim.messages('reach').find((m) => m.recipient === phone)?.text;
      if (!text) await new Promise((r) => setTimeout(r, 50));
    }
    const code = /^(\d{6})/.exec(text!)![1];
    const request = `login-request-${randomUUID()}`;
    expect(await cascade.verifyOtp(id, code, { updateId: request })).toEqual({ status: 'approved', attemptsLeft: 4 });
    await cascade.result(id);

    const other = code === '138820' ? '000000' : '138820';
    expect(await cascade.verifyOtp(id, other)).toEqual({ status: 'expired', attemptsLeft: 0 });
    expect(await cascade.verifyOtp(id, '0000')).toEqual({ status: 'expired', attemptsLeft: 0 });
    // The same code again (a logged or shoulder-surfed code, days later) is not approved.
    expect(await cascade.verifyOtp(id, code)).toEqual({ status: 'expired', attemptsLeft: 0 });
    // The app's retry of the approving request, whose answer it lost, gets that answer again.
    expect(await cascade.verifyOtp(id, code, { updateId: request })).toEqual({ status: 'approved', attemptsLeft: 4 });
  });

  test('invalid input is rejected before any workflow starts, naming the field', async () => {
    const trackingId = uniqueId('bad');
    let error: unknown;
    try {
      await cascade.sendMessage({
        trackingId,
        recipient: { phone: '0501234567' },
        text: 'hi',
        steps: [{ channel: 'email' }],
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CascadeValidationError);
    const paths = (error as CascadeValidationError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['recipient.phone']));
    await expect(env.client.workflow.getHandle(`deliver:${trackingId}`).describe()).rejects.toThrow();
  });
});

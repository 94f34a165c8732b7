import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { CascadeClient } from '../../src/client';
import { loadConfig } from '../../src/config';
import { stateQuery, resendUpdate, verifyUpdate } from '../../src/shared/messages';
import { type DeliverMessageInput, type OtpInput } from '../../src/shared/schemas';
import { sealOtpCode } from '../../src/otp/codes';
import { createCascadePlugin } from '../../src/worker/plugin';
import { deliverMessage, otpVerification } from '../../src/workflows';
import { simEnv, TEST_OTP_SECRET, uniqueId, uniquePhone, useLocalHarness } from '../support/cascade';
import { waitFor } from '../support/wait';

const EventType = temporal.api.enums.v1.EventType;

/**
 * The workflow core's lifecycle (issues 22 and 23): the worker's own input check, resets, native
 * cancellation, the TTL and the attempt in flight, activity names beside a host's.
 */
describe('workflow core lifecycle (dev server, simulator over real sockets)', () => {
  const t = useLocalHarness({ receiver: true });
  const cascade = () =>
    new CascadeClient({ client: t.env.client, taskQueue: t.h.taskQueue, otpSecret: TEST_OTP_SECRET });

  function otpInput(overrides: Partial<OtpInput> = {}): OtpInput {
    return {
      trackingId: uniqueId('life'),
      recipient: { phone: uniquePhone() },
      steps: [{ channel: 'smsbat', fromName: 'MyApp' }],
      template: 'Your MyApp code is {code}',
      ...overrides,
    };
  }

  const sentTo = (phone: string) => t.h.sim.messages().filter((m) => m.recipient === phone);

  async function nthCode(phone: string, nth: number): Promise<string> {
    for (let i = 0; i < 400; i++) {
      const sent = sentTo(phone);
      if (sent.length >= nth) return /(\d{4,10})/.exec(sent[nth - 1].text ?? '')![1];
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no message ${nth} to ${phone}`);
  }

  const verify = (handle: WorkflowHandle, code: string) =>
    handle.executeUpdate(verifyUpdate, { args: [{ code: sealOtpCode(TEST_OTP_SECRET, handle.workflowId, code) }] });

  test("a start marked `validated: 'v2'` is checked by the worker all the same: maxSends 40 is refused, nothing sent", async () => {
    const i = { ...otpInput({ maxSends: 40 as number, resendCooldown: '0s' }), validated: 'v2' } as OtpInput;
    const handle = await t.env.client.workflow.start(otpVerification, {
      args: [i],
      workflowId: `otp:${i.trackingId}`,
      taskQueue: t.h.taskQueue,
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/maxSends/);
    expect(sentTo(i.recipient.phone!)).toHaveLength(0);
  });

  /** The id of the last WorkflowTaskCompleted event after the first event of `after` (or the first one). */
  async function taskCompletedId(handle: WorkflowHandle, after?: number) {
    const events = (await handle.fetchHistory()).events!;
    const from = after === undefined ? 0 : events.findIndex((e) => e.eventType === after);
    const done = events.slice(from).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    return (after === undefined ? done[0] : done.at(-1))!.eventId!;
  }

  async function reset(handle: WorkflowHandle, eventId: Awaited<ReturnType<typeof taskCompletedId>>): Promise<void> {
    const { runId } = await handle.describe();
    await t.env.client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: handle.workflowId, runId },
      reason: 'test: operator reset',
      workflowTaskFinishEventId: eventId,
      requestId: randomUUID(),
    });
  }

  test.each([
    ['after the code was prepared and sent', true],
    ['to the first workflow task (before the code was prepared)', false],
  ])('a flow reset %s: a resent code is approved', async (_label, afterSend) => {
    const i = otpInput({
      resendCooldown: '0s',
      steps: [{ channel: 'smsbat', fromName: 'MyApp', deliveryTimeout: '5m' }],
    });
    t.h.sim.script({ recipient: i.recipient.phone, provider: 'smsbat', outcome: { kind: 'pending' } });
    const handle = await t.env.client.workflow.start(otpVerification, {
      args: [i],
      workflowId: `otp:${i.trackingId}`,
      taskQueue: t.h.taskQueue,
    });
    await nthCode(i.recipient.phone!, 1);
    await waitFor(async () => (await handle.query(stateQuery)).delivery.attempts[0]?.status === 'pending');
    await reset(
      handle,
      await taskCompletedId(handle, afterSend ? EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED : undefined),
    );
    const latest = t.env.client.workflow.getHandle(handle.workflowId);
    // Reset before the send: the new run sends its first code itself.
    const before = sentTo(i.recipient.phone!).length;
    if (afterSend) {
      await waitFor(async () => (await latest.query(stateQuery).catch(() => undefined))?.sends === 1);
      await latest.executeUpdate(resendUpdate, { args: [{}] });
    }
    const code = await nthCode(i.recipient.phone!, afterSend ? before + 1 : 2);
    expect(await verify(latest, code)).toMatchObject({ status: 'approved' });
    expect((await latest.result()).status).toBe('approved');
    // Idempotency keys name the run: the reset run's send is never taken for the first run's.
    const { runId } = await latest.describe();
    const ids = t.h.sim
      .messages('smsbat')
      .filter((m) => m.recipient === i.recipient.phone)
      .map((m) => m.fields.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(String(ids.at(-1))).toContain(runId.replace(/[^A-Za-z0-9]/g, ''));
  });

  test('handle.cancel() ends an OTP flow as the cancel signal does: a canceled result, and verify answers canceled', async () => {
    const i = otpInput({ steps: [{ channel: 'reach', src: 'MyApp', deliveryTimeout: '5m' }] });
    t.h.sim.script({
      recipient: i.recipient.phone,
      provider: 'reach',
      outcome: { kind: 'pending' },
      receipt: 'withhold',
    });
    const { id } = await cascade().startOtp(i);
    const code = await nthCode(i.recipient.phone!, 1);
    const handle = t.env.client.workflow.getHandle<typeof otpVerification>(id);
    await handle.cancel();
    expect(await handle.result()).toMatchObject({ status: 'canceled', sends: 1 });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(await cascade().verifyOtp(id, code)).toEqual({ status: 'canceled', attemptsLeft: 0 });
  });

  test('a parent cancelling its executeChild(otpVerification) ends the child canceled', async () => {
    const i = otpInput({ steps: [{ channel: 'reach', src: 'MyApp', deliveryTimeout: '5m' }] });
    t.h.sim.script({
      recipient: i.recipient.phone,
      provider: 'reach',
      outcome: { kind: 'pending' },
      receipt: 'withhold',
    });
    const parent = await t.env.client.workflow.start('verifyPhoneAsChild', {
      args: [i],
      workflowId: uniqueId('parent'),
      taskQueue: t.h.taskQueue,
    });
    const code = await nthCode(i.recipient.phone!, 1);
    await parent.cancel();
    await parent.result().catch(() => undefined);
    const child = t.env.client.workflow.getHandle<typeof otpVerification>(`otp:${i.trackingId}`);
    expect(await child.result()).toMatchObject({ status: 'canceled' });
    expect(await cascade().verifyOtp(child.workflowId, code)).toEqual({ status: 'canceled', attemptsLeft: 0 });
  });

  test('handle.cancel() ends a delivery canceled, its attempt in flight recorded', async () => {
    const phone = uniquePhone();
    t.h.sim.script({ recipient: phone, provider: 'reach', outcome: { kind: 'pending' }, receipt: 'withhold' });
    const input: DeliverMessageInput = {
      trackingId: uniqueId('cancel'),
      recipient: { phone },
      text: 'Hello',
      steps: [{ channel: 'reach', src: 'Shop', deliveryTimeout: '5m' }],
    };
    const { id } = await cascade().sendMessage(input);
    await waitFor(async () => sentTo(phone).length === 1);
    const handle = t.env.client.workflow.getHandle<typeof deliverMessage>(id);
    await handle.cancel();
    const result = await handle.result();
    expect(result.status).toBe('canceled');
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0].providerMessageId).toBe(sentTo(phone)[0].messageId);
  });

  test('the TTL starts no new step but lets the attempt in flight finish: a receipt just after it delivers', async () => {
    const phone = uniquePhone();
    t.h.sim.script({ recipient: phone, provider: 'reach', outcome: { kind: 'pending' } });
    const input: DeliverMessageInput = {
      trackingId: uniqueId('ttl'),
      recipient: { phone },
      text: 'Hello',
      ttl: '2s',
      steps: [
        { channel: 'reach', src: 'Shop', deliveryTimeout: '5m' },
        { channel: 'smsbat', fromName: 'Shop' },
      ],
    };
    const { id } = await cascade().sendMessage(input);
    const handle = t.env.client.workflow.getHandle<typeof deliverMessage>(id);
    // The TTL's timer has fired (workflow time), and the flow still waits for Reach's receipt.
    await waitFor(async () =>
      (await handle.fetchHistory()).events!.some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED),
    );
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(t.h.sim.settle('reach', sentTo(phone)[0].messageId!, 'delivered')).toBe(true);
    const result = await handle.result();
    expect(result.status).toBe('delivered');
    expect(result.attempts).toHaveLength(1);
    expect(sentTo(phone)).toHaveLength(1);
  });
});

describe('activities beside a host’s (dev server)', () => {
  const t = useLocalHarness();

  test('a host activity named sendStep stays the host’s; our flows call ours by its prefixed name', async () => {
    const taskQueue = `host-${randomUUID()}`;
    const worker = await Worker.create({
      connection: t.env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../support/test-workflows'),
      activities: { sendStep: async (text: string) => `host:${text}` },
      plugins: [createCascadePlugin({ config: loadConfig(simEnv(t.h.sim)), checkNamespace: false })],
    });
    await worker.runUntil(async () => {
      const host = await t.env.client.workflow.execute('hostSendStep', {
        args: ['hello'],
        workflowId: uniqueId('host'),
        taskQueue,
      });
      expect(host).toBe('host:hello');
      const phone = uniquePhone();
      const ours = await t.env.client.workflow.execute(deliverMessage, {
        args: [
          {
            trackingId: uniqueId('guest'),
            recipient: { phone },
            text: 'Hi',
            steps: [{ channel: 'smsbat', fromName: 'Shop' }],
          },
        ],
        workflowId: uniqueId('deliver'),
        taskQueue,
      });
      expect(ours.status).toBe('delivered');
    });
  });
});
